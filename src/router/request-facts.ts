import type { IncomingHttpHeaders } from 'node:http';
import { PREVIEW_HEADER, USER_COOKIE, USER_HEADER } from '../contracts/headers';
import type { RequestFacts } from './choose-route';

/**
 * Reads what routing needs from a request's headers: the preview header (value
 * `always`, any case) and the user key (header `x-gantry-user`, else cookie
 * `gantry_user`). An empty key counts as no key.
 */
export function requestFacts(headers: IncomingHttpHeaders): RequestFacts {
  const preview = firstValue(headers[PREVIEW_HEADER])?.trim().toLowerCase() === 'always';
  const userKey = nonEmpty(firstValue(headers[USER_HEADER])?.trim()) ?? nonEmpty(cookieValue(headers.cookie, USER_COOKIE));
  return userKey === undefined ? { preview } : { preview, userKey };
}

/** The value of one cookie in a `Cookie` header, percent-decoded when it is encoded. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

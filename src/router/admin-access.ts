import type http from 'node:http';
import net from 'node:net';
import type { AdminToken } from './admin-token';

/** Why an admin request is refused before it is read: 403 from elsewhere, 401 without the token. */
export interface AdminRefusal {
  status: 403 | 401;
  message: string;
}

/**
 * Who may use the admin API: a process on this machine (loopback) that holds the
 * router's token. The admin port listens on loopback only, so the address check is a
 * second lock: it still holds if a deployment forwards or exposes that port by mistake.
 * The address is checked first, so a request from elsewhere learns nothing about tokens.
 */
export function adminRefusal(req: http.IncomingMessage, token: AdminToken): AdminRefusal | undefined {
  const from = req.socket.remoteAddress ?? '';
  if (!isLoopback(from)) {
    return { status: 403, message: `the admin API answers only this machine (loopback); ${from || 'an unknown address'} is not` };
  }
  if (!token.accepts(req.headers.authorization)) {
    return { status: 401, message: "the admin API needs the router's token: Authorization: Bearer <the token in the router's admin token file>" };
  }
  return undefined;
}

/** 127.0.0.0/8, ::1, and IPv4 loopback written as an IPv6-mapped address. */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (net.isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * Field names in problems read like the document: `flags.new-checkout.defaultVariant`,
 * `flags.beta.targeting.fractional[1][1]`. A key that would read ambiguously (a dot, a
 * space, a bracket) is quoted: `flags["a.b"].state`.
 */

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function fieldPath(parts: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (PLAIN_KEY.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(document)' : out;
}

/**
 * A JSON Pointer (`/flags/new-checkout/defaultVariant`, as ajv reports it) as path parts.
 * A segment is an index only where the document holds an array there, so a flag named
 * `2024` stays a name.
 */
export function pointerParts(pointer: string, document: unknown): Array<string | number> {
  if (pointer === '') return [];
  const parts: Array<string | number> = [];
  let here: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(here) && /^(0|[1-9]\d*)$/.test(segment)) {
      parts.push(Number(segment));
      here = here[Number(segment)];
    } else {
      parts.push(segment);
      here = here !== null && typeof here === 'object' ? (here as Record<string, unknown>)[segment] : undefined;
    }
  }
  return parts;
}

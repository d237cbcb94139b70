import type { FlagDefinition, JsonValue } from './flags/flag-document';

/**
 * One line per thing a change did to a flag, for the record, the CLI and the UI:
 * `state ENABLED → DISABLED`, `defaultVariant off → on`, `targeting changed`,
 * `variants on, off → on, off, beta`. A new flag is `created: ENABLED, default off`.
 */
export function describeFlagChange(before: FlagDefinition | undefined, after: FlagDefinition): string[] {
  if (!before) {
    return [`created: ${after.state}, variants ${Object.keys(after.variants).join(', ')}, default ${after.defaultVariant ?? '(code default)'}${after.targeting ? ', with targeting' : ''}`];
  }
  const lines: string[] = [];
  if (before.state !== after.state) lines.push(`state ${before.state} → ${after.state}`);
  if ((before.defaultVariant ?? null) !== (after.defaultVariant ?? null)) {
    lines.push(`defaultVariant ${before.defaultVariant ?? '(code default)'} → ${after.defaultVariant ?? '(code default)'}`);
  }
  if (!sameJson(before.variants, after.variants)) lines.push(`variants ${describeVariants(before)} → ${describeVariants(after)}`);
  if (before.targeting && !after.targeting) lines.push('targeting removed');
  else if (!before.targeting && after.targeting) lines.push('targeting added');
  else if (!sameJson(before.targeting ?? null, after.targeting ?? null)) lines.push('targeting changed');
  if (!sameJson(before.metadata ?? null, after.metadata ?? null)) lines.push('metadata changed');
  return lines.length ? lines : ['no change (the same definition again)'];
}

function describeVariants(flag: FlagDefinition): string {
  return Object.entries(flag.variants)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ');
}

/** Equal as JSON, whatever the order of object keys. */
export function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
    .join(',')}}`;
}

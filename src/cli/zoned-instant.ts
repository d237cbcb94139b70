import { invalidInput } from './exit-codes';

/**
 * An instant a person types (`--at`, `--until`): ISO 8601 with a zone, since one without
 * would mean different moments to different people. NaN when it is not one.
 */
export function parseZonedInstant(text: string): number {
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()) ? Date.parse(text) : Number.NaN;
}

/** A flag that must hold a zoned instant; missing or malformed is exit 2, naming the flag and an example. */
export function requiredInstant(value: string | undefined, flag: string): Date {
  if (value === undefined) throw invalidInput(`${flag} is required: an ISO 8601 instant with a zone, e.g. 2026-12-01T00:00:00Z`);
  const ms = parseZonedInstant(value);
  if (Number.isNaN(ms)) throw invalidInput(`${flag} "${value}" is not an ISO 8601 instant with a zone (e.g. 2026-12-01T00:00:00Z or 2026-12-01T01:00:00+01:00)`);
  return new Date(ms);
}

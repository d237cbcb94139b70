/**
 * An instant a person types (`--at`, `--until`): ISO 8601 with a zone, since one without
 * would mean different moments to different people. NaN when it is not one.
 */
export function parseZonedInstant(text: string): number {
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()) ? Date.parse(text) : Number.NaN;
}

import { z } from 'zod';

/** Units a duration string may use, in milliseconds. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One or more parts of a number and a unit: "90s", "1.5h", "1h30m". */
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses "90s", "10m", "24h", "1.5h", "2d" and compound forms such as "1m30s" (what
 * formatDuration writes) into milliseconds.
 * Returns undefined for anything else (negative values included), so callers can
 * say what was wrong in their own terms.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit];
  return Math.round(ms);
}

export { formatDuration } from '../shared/duration-text';

/** A zod field for a positive duration string, e.g. `24h`; parses to milliseconds. */
export function durationField(example: string) {
  return z
    .string()
    .describe(`A duration such as ${example}: a number followed by ms, s, m, h or d.`)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a positive duration; write a number followed by ms, s, m, h or d, e.g. ${example}`,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/**
 * The period a review covers: a calendar quarter in UTC (`2026Q4` is 2026-10-01T00:00Z up
 * to 2027-01-01T00:00Z), or explicit instants. Returns a problem naming the flag instead
 * of throwing, so the CLI can say it and exit 2.
 */
export interface ReviewPeriod {
  since: Date;
  until: Date;
  label: string;
}

const QUARTER = /^(\d{4})[Qq]([1-4])$/;

export function quarterPeriod(text: string): ReviewPeriod | { problem: string } {
  const match = QUARTER.exec(text.trim());
  if (!match) return { problem: `--quarter "${text}" is not a quarter; write it as 2026Q4 (year, Q, 1 to 4)` };
  const [year, quarter] = [Number(match[1]), Number(match[2])];
  return { since: new Date(Date.UTC(year, (quarter - 1) * 3, 1)), until: new Date(Date.UTC(year, quarter * 3, 1)), label: `${year}Q${quarter}` };
}

/** The quarter that ended last before `now` (what the quarterly review reports on). */
export function previousQuarter(now: Date): ReviewPeriod {
  const quarterIndex = Math.floor(now.getUTCMonth() / 3);
  const year = quarterIndex === 0 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
  const quarter = quarterIndex === 0 ? 4 : quarterIndex;
  return quarterPeriod(`${year}Q${quarter}`) as ReviewPeriod;
}

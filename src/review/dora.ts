import type { ReleaseTrail } from './release-trail';

/**
 * DORA's four keys, from release trails, for one period: per service and overall, and
 * per month and ISO week (UTC) of when production was done. Pure.
 *
 * - Deployment frequency: releases whose new version was deployed to production and
 *   that succeeded, per day of the period.
 * - Lead time for changes: commit time → production done (median and 90th percentile).
 * - Change failure rate: of the releases that reached production, those that failed
 *   there (rolled back, failed or aborted after entering it) or were later replaced by
 *   an explicit rollback (`release start --rollback`).
 * - Failed deployment recovery time: from the failed change reaching production to
 *   production serving a good version again (its own rollback or restore, or the
 *   rollback release's deploy); median.
 *
 * Bands: the clusters of DORA's 2023 State of DevOps report, made contiguous (see
 * `BANDS`). Example: 12 deploys in a 90-day quarter is 0.13 a day, ≥ 1 a week → high.
 */

export type Band = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Upper limits per band, best first; above the last one is low. */
export const BANDS = {
  /** Deploys per day: elite on demand (≥ 1 a day), high ≥ 1 a week, medium ≥ 1 a month. */
  deploymentFrequency: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  /** Median lead time: elite < 1 day, high ≤ 1 week, medium ≤ 1 month. */
  leadTimeMs: { elite: DAY, high: 7 * DAY, medium: 30 * DAY },
  /** Change failure rate: elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %. */
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  /** Median recovery time: elite < 1 hour, high < 1 day, medium ≤ 1 week. */
  recoveryTimeMs: { elite: HOUR, high: DAY, medium: 7 * DAY },
} as const;

export interface Deployment {
  release: string;
  service: string;
  version: string;
  at: string;
  leadTimeMs?: number;
}

export interface ChangeFailure {
  release: string;
  service: string;
  version: string;
  /** rolled_back, failed, aborted, or `replaced by a rollback (<release>)`. */
  how: string;
  reason?: string;
  failedAt: string;
  recoveredAt?: string;
  recoveryMs?: number;
}

export interface DoraFigures {
  deployments: number;
  deploymentsPerDay: number;
  leadTime: { medianMs?: number; p90Ms?: number; samples: number };
  /** Releases that reached production (the failure rate's denominator). */
  productionChanges: number;
  failures: number;
  changeFailureRate?: number;
  recovery: { medianMs?: number; samples: number; unrecovered: number };
  bands: { deploymentFrequency?: Band; leadTime?: Band; changeFailureRate?: Band; recoveryTime?: Band };
}

export interface DoraReport {
  since: string;
  until: string;
  overall: DoraFigures;
  services: Record<string, DoraFigures>;
  /** Keyed YYYY-MM (UTC). */
  months: Record<string, DoraFigures>;
  /** Keyed by ISO week, e.g. 2026-W49 (UTC). */
  weeks: Record<string, DoraFigures>;
  deploymentsList: Deployment[];
  failuresList: ChangeFailure[];
}

const ms = (iso: string) => Date.parse(iso);

/** What the trails say happened in production, each fact with the instant it counts at. */
export function productionFacts(trails: readonly ReleaseTrail[]): { deployments: Deployment[]; changes: { release: string; service: string; at: string }[]; failures: ChangeFailure[] } {
  const deployments: Deployment[] = [];
  const changes: { release: string; service: string; at: string }[] = [];
  const failures: ChangeFailure[] = [];
  for (const t of trails) {
    if (t.outcome === 'succeeded' && t.productionDoneAt) {
      const leadTimeMs = t.committedAt ? ms(t.productionDoneAt) - ms(t.committedAt) : undefined;
      deployments.push({ release: t.release, service: t.service, version: t.version, at: t.productionDoneAt, ...(leadTimeMs !== undefined && leadTimeMs >= 0 ? { leadTimeMs } : {}) });
    }
    const reached = t.productionDoneAt ?? t.productionEnteredAt;
    if (!reached || !t.outcome) continue;
    changes.push({ release: t.release, service: t.service, at: t.finishedAt ?? reached });
    if (t.outcome === 'rolled_back' || t.outcome === 'failed' || t.outcome === 'aborted') {
      const failedAt = t.productionEnteredAt ?? reached;
      const recoveredAt = t.productionRestoredAt ?? t.finishedAt;
      failures.push({ release: t.release, service: t.service, version: t.version, how: t.outcome, ...(t.reason ? { reason: t.reason } : {}), failedAt, ...recovery(failedAt, recoveredAt) });
    }
  }
  // A version replaced in production by an explicit rollback failed, though its release succeeded.
  for (const rollback of trails) {
    for (const replaced of rollback.rollbacks.filter((r) => r.environment === rollback.production)) {
      const bad = trails
        .filter((t) => t.service === rollback.service && t.version === replaced.replaces && t.outcome === 'succeeded' && t.productionDoneAt && t.productionDoneAt <= replaced.at)
        .pop();
      if (!bad?.productionDoneAt || failures.some((f) => f.release === bad.release)) continue;
      const recoveredAt = rollback.outcome === 'succeeded' ? rollback.productionDoneAt : undefined;
      failures.push({ release: bad.release, service: bad.service, version: bad.version, how: `replaced by a rollback (${rollback.release})`, reason: replaced.reason, failedAt: bad.productionDoneAt, ...recovery(bad.productionDoneAt, recoveredAt) });
    }
  }
  return { deployments, changes, failures };
}

function recovery(failedAt: string, recoveredAt: string | undefined): Pick<ChangeFailure, 'recoveredAt' | 'recoveryMs'> {
  if (!recoveredAt) return {};
  return { recoveredAt, recoveryMs: Math.max(0, ms(recoveredAt) - ms(failedAt)) };
}

export function doraReport(trails: readonly ReleaseTrail[], since: Date, until: Date): DoraReport {
  const facts = productionFacts(trails);
  const inPeriod = (at: string) => ms(at) >= since.getTime() && ms(at) < until.getTime();
  const deployments = facts.deployments.filter((d) => inPeriod(d.at));
  const changes = facts.changes.filter((c) => inPeriod(c.at));
  const failures = facts.failures.filter((f) => inPeriod(f.failedAt));
  const days = Math.max(1, (until.getTime() - since.getTime()) / DAY);

  const figures = (keep: (item: { service: string; at: string }) => boolean, spanDays: number): DoraFigures =>
    doraFigures(
      deployments.filter((d) => keep(d)),
      changes.filter((c) => keep(c)),
      failures.filter((f) => keep({ service: f.service, at: f.failedAt })),
      spanDays,
    );

  const services = [...new Set([...deployments, ...changes].map((x) => x.service))].sort();
  const months = [...new Set([...deployments, ...changes].map((x) => monthOf(x.at)).concat(failures.map((f) => monthOf(f.failedAt))))].sort();
  const weeks = [...new Set([...deployments, ...changes].map((x) => isoWeekOf(x.at)).concat(failures.map((f) => isoWeekOf(f.failedAt))))].sort();
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    overall: figures(() => true, days),
    services: Object.fromEntries(services.map((s) => [s, figures((x) => x.service === s, days)])),
    months: Object.fromEntries(months.map((m) => [m, figures((x) => monthOf(x.at) === m, daysOverlapping(monthSpan(m), since, until))])),
    weeks: Object.fromEntries(weeks.map((w) => [w, figures((x) => isoWeekOf(x.at) === w, daysOverlapping(isoWeekSpan(w), since, until))])),
    deploymentsList: deployments,
    failuresList: failures,
  };
}

function doraFigures(deployments: Deployment[], changes: { at: string }[], failures: ChangeFailure[], days: number): DoraFigures {
  const leadTimes = deployments.flatMap((d) => (d.leadTimeMs === undefined ? [] : [d.leadTimeMs]));
  const recoveries = failures.flatMap((f) => (f.recoveryMs === undefined ? [] : [f.recoveryMs]));
  const deploymentsPerDay = deployments.length / days;
  const leadTime = { medianMs: percentile(leadTimes, 0.5), p90Ms: percentile(leadTimes, 0.9), samples: leadTimes.length };
  const changeFailureRate = changes.length ? failures.length / changes.length : undefined;
  const recovery = { medianMs: percentile(recoveries, 0.5), samples: recoveries.length, unrecovered: failures.length - recoveries.length };
  return {
    deployments: deployments.length,
    deploymentsPerDay,
    leadTime: dropUndefined(leadTime),
    productionChanges: changes.length,
    failures: failures.length,
    ...(changeFailureRate !== undefined ? { changeFailureRate } : {}),
    recovery: dropUndefined(recovery),
    bands: dropUndefined({
      deploymentFrequency: deployments.length ? bandAtLeast(deploymentsPerDay, BANDS.deploymentFrequency) : undefined,
      leadTime: leadTime.medianMs === undefined ? undefined : bandAtMost(leadTime.medianMs, BANDS.leadTimeMs, true),
      changeFailureRate: changeFailureRate === undefined ? undefined : bandAtMost(changeFailureRate, BANDS.changeFailureRate, false),
      recoveryTime: recovery.medianMs === undefined ? undefined : bandAtMost(recovery.medianMs, BANDS.recoveryTimeMs, true),
    }),
  };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function bandAtLeast(value: number, limits: { elite: number; high: number; medium: number }): Band {
  if (value >= limits.elite) return 'elite';
  if (value >= limits.high) return 'high';
  if (value >= limits.medium) return 'medium';
  return 'low';
}

/** `strictElite`: the elite limit is exclusive (less than a day), the others inclusive. */
function bandAtMost(value: number, limits: { elite: number; high: number; medium: number }, strictElite: boolean): Band {
  if (strictElite ? value < limits.elite : value <= limits.elite) return 'elite';
  if (value <= limits.high) return 'high';
  if (value <= limits.medium) return 'medium';
  return 'low';
}

/** The nearest-rank percentile of the values; undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function monthOf(iso: string): string {
  return new Date(ms(iso)).toISOString().slice(0, 7);
}

/** ISO 8601 week (Monday first; week 1 holds the year's first Thursday), in UTC: 2026-W49. */
export function isoWeekOf(iso: string): string {
  const day = new Date(ms(iso));
  const date = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week names its year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / DAY + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function monthSpan(month: string): [number, number] {
  const [year, m] = month.split('-').map(Number);
  return [Date.UTC(year, m - 1, 1), Date.UTC(year, m, 1)];
}

function isoWeekSpan(week: string): [number, number] {
  const [year, w] = week.split('-W').map(Number);
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = Date.UTC(year, 0, 4 - ((jan4.getUTCDay() || 7) - 1) + (w - 1) * 7);
  return [monday, monday + 7 * DAY];
}

/** Days of [from, to) within the period: a month cut by the period's edge counts only its part. */
function daysOverlapping([from, to]: [number, number], since: Date, until: Date): number {
  return Math.max(1 / 24, (Math.min(to, until.getTime()) - Math.max(from, since.getTime())) / DAY);
}

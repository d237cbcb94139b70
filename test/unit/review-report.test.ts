import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PgliteDatabase } from '../../src/providers/audit/pglite-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import { BANDS, isoWeekOf, percentile } from '../../src/review/dora';
import { previousQuarter, quarterPeriod } from '../../src/review/period';
import { type ReviewPeriod } from '../../src/review/period';
import { buildReview } from '../../src/review/review-report';
import { quarterOfReleases } from '../support/review-fixture';

/**
 * Run with NODE_OPTIONS=--experimental-vm-modules (npm test sets it): the review reads a
 * real audit store (PGlite) seeded with a quarter of releases whose figures are worked
 * out by hand in test/support/review-fixture.ts.
 */
const HOUR = 3_600_000;
const MINUTE = 60_000;
const q4 = quarterPeriod('2026Q4') as ReviewPeriod;
let store: SqlAuditStore;
beforeAll(async () => {
  store = new SqlAuditStore(new PgliteDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'gantry-review-')), 'pglite'), { idleCloseMs: 50 }));
  await store.append(quarterOfReleases());
}, 60_000);
afterAll(async () => {
  await store?.close();
});

describe('the quarterly review, from a seeded audit store', () => {
  test("DORA's four keys for the quarter, worked out by hand", async () => {
    const review = await buildReview(store, q4, { now: new Date('2027-01-01T06:00:00Z') });
    expect(review.chain).toMatchObject({ intact: true, entries: 38 });
    expect(review.releases).toBe(6); // web 0.9.0 shipped in September
    expect(review.dora.deploymentsList.map((d) => `${d.release} ${d.leadTimeMs! / MINUTE}`)).toEqual([
      'release/web/1.0.0 150',
      'release/web/1.1.0 3180', // 2d5h: committed in October, done in November
      'release/web/1.2.1 60',
      'release/cart/2.0.0 1440',
      'release/cart/1.9.0 22110',
    ]);
    expect(review.dora.overall).toEqual({
      deployments: 5,
      deploymentsPerDay: 5 / 92,
      leadTime: { medianMs: 24 * HOUR, p90Ms: 22110 * MINUTE, samples: 5 },
      productionChanges: 6,
      failures: 2,
      changeFailureRate: 2 / 6,
      recovery: { medianMs: 20 * MINUTE, samples: 2, unrecovered: 0 },
      // 5 in 92 days is more than one a month; a median of exactly a day is not "less than a day".
      bands: { deploymentFrequency: 'medium', leadTime: 'high', changeFailureRate: 'low', recoveryTime: 'elite' },
    });
    expect(review.dora.failuresList).toEqual([
      expect.objectContaining({ release: 'release/web/1.2.0', how: 'rolled_back', failedAt: '2026-11-10T10:00:00.000Z', recoveryMs: 20 * MINUTE }),
      expect.objectContaining({ release: 'release/cart/2.0.0', how: 'replaced by a rollback (release/cart/1.9.0)', reason: '2.0.0 double-charges', recoveryMs: 23.5 * HOUR }),
    ]);
  });

  test('per service, per month (a release counts where production was done) and per ISO week', async () => {
    const { dora } = await buildReview(store, q4, { now: new Date('2027-01-01T06:00:00Z') });
    expect(Object.keys(dora.services)).toEqual(['cart', 'web']);
    expect(dora.services.web).toMatchObject({ deployments: 3, productionChanges: 4, failures: 1, changeFailureRate: 0.25 });
    expect(dora.services.cart).toMatchObject({ deployments: 2, productionChanges: 2, failures: 1, changeFailureRate: 0.5, recovery: { medianMs: 23.5 * HOUR } });
    expect(Object.keys(dora.months)).toEqual(['2026-10', '2026-11']);
    expect(dora.months['2026-10']).toMatchObject({ deployments: 1, deploymentsPerDay: 1 / 31 });
    expect(dora.months['2026-11']).toMatchObject({ deployments: 4, failures: 2, deploymentsPerDay: 4 / 30 });
    expect(Object.keys(dora.weeks)).toEqual(['2026-W40', '2026-W45', '2026-W46', '2026-W47']);
    // Monday 9 to Sunday 15 November: web 1.2.0 failed, web 1.2.1 shipped, and cart 2.0.0 shipped on Sunday (its failure counts from then).
    expect(dora.weeks['2026-W46']).toMatchObject({ deployments: 2, productionChanges: 3, failures: 2 });
    expect(dora.weeks['2026-W47']).toMatchObject({ deployments: 1, failures: 0 }); // the rollback on Monday 16th
  });

  test('the compliance findings of the quarter: the override and its reason, the refusals, the rollbacks', async () => {
    const { compliance } = await buildReview(store, q4, { now: new Date('2027-01-01T06:00:00Z') });
    expect(compliance.withoutRequiredApprovals).toEqual([]);
    expect(compliance.unsignedApprovals).toEqual([]);
    expect(compliance.exceptions).toEqual([
      expect.objectContaining({ release: 'release/cart/2.0.0', exception: 'override', by: 'dana', reason: 'the fix for the checkout outage', passed: ['change freeze F3 declared by carol (Black Friday)'] }),
    ]);
    expect(compliance.refused.map((r) => `${r.by} ${r.what}: ${r.refusal}`)).toEqual([
      'mallory approve: mallory is not an approver of web',
      'carol freeze start: carol may not declare a freeze of every service',
    ]);
    expect(compliance.rollbacks.map((r) => `${r.release}: ${r.how}: ${r.reason}`)).toEqual([
      'release/web/1.2.0: rollout/web/production/1.2.0 rolled back: error rate 12 % > limit 1 %',
      'release/cart/1.9.0: rollback over 2.0.0 in production: 2.0.0 double-charges',
    ]);
  });

  test('a release shipped without the approvals its policy required is listed, and one service alone can be asked for', async () => {
    const web = await buildReview(store, q4, { service: 'web', now: new Date('2027-01-01T06:00:00Z') });
    expect(Object.keys(web.dora.services)).toEqual(['web']);
    expect(web.releases).toBe(4);
    expect(web.compliance.refused).toHaveLength(1); // the calendar's refusal is about no service

    const period = quarterPeriod('2026Q3') as ReviewPeriod;
    const q3 = await buildReview(store, period, { now: new Date('2026-10-01T06:00:00Z') });
    expect(q3.compliance.withoutRequiredApprovals).toEqual([{ release: 'release/web/0.9.0', approvals: [], required: '1 of bob, dana' }]);
  });

  test('an empty period is a report that says so, not an error', async () => {
    const review = await buildReview(store, quarterPeriod('2025Q1') as ReviewPeriod, { now: new Date('2026-12-01T00:00:00Z') });
    expect(review.releases).toBe(0);
    expect(review.dora.overall).toMatchObject({ deployments: 0, productionChanges: 0, bands: {} });
  });
});

describe('the review period and its arithmetic', () => {
  test.each([
    ['2026Q4', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026q1', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
  ])('%s', (text, since, until) => {
    expect(quarterPeriod(text)).toMatchObject({ since: new Date(since), until: new Date(until) });
  });

  test.each(['2026Q5', 'Q4 2026', '2026-Q4', ''])('a malformed quarter %j names the flag and the form', (text) => {
    expect(quarterPeriod(text)).toEqual({ problem: `--quarter "${text}" is not a quarter; write it as 2026Q4 (year, Q, 1 to 4)` });
  });

  test('the quarter before an instant: the one the scheduled review reports on', () => {
    expect(previousQuarter(new Date('2027-01-01T00:05:00Z')).label).toBe('2026Q4');
    expect(previousQuarter(new Date('2026-07-01T00:05:00Z')).label).toBe('2026Q2');
  });

  test('ISO weeks: Monday first, the week of a year-end Thursday', () => {
    expect(isoWeekOf('2026-12-28T12:00:00Z')).toBe('2026-W53');
    expect(isoWeekOf('2027-01-03T12:00:00Z')).toBe('2026-W53');
    expect(isoWeekOf('2027-01-04T00:00:00Z')).toBe('2027-W01');
    expect(isoWeekOf('2026-11-16T00:00:00Z')).toBe('2026-W47');
  });

  test('nearest-rank percentiles, and the band limits as documented', () => {
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([5, 1, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.9)).toBe(4);
    expect(BANDS.changeFailureRate).toEqual({ elite: 0.05, high: 0.1, medium: 0.15 });
  });
});

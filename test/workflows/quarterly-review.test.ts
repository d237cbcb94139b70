import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createReviewActivities } from '../../src/activities/review';
import { fileCatalogueSource } from '../../src/providers/catalogue/file-catalogue-source';
import { PlatformCatalogue } from '../../src/providers/catalogue/platform-catalogue';
import { PgliteDatabase } from '../../src/providers/audit/pglite-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import type { RetryPolicy } from '../../src/providers/notifications/webhook-delivery';
import { verifyWebhookSignature } from '../../src/providers/notifications/webhook-signature';
import { quarterlyReviewWorkflow } from '../../src/workflows/quarterly-review';
import { quarterOfReleases } from '../support/review-fixture';
import { createTimeSkippingEnv, gantryWorkflowBundle, uniqueTaskQueue } from '../support/time-skipping';
import { WebhookReceiver } from '../support/webhook-receiver';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Run with NODE_OPTIONS=--experimental-vm-modules (npm test sets it). The review workflow
 * with its real activities: a PGlite audit store seeded with a quarter of releases, the
 * state folder in a temp dir, and real HTTP receivers as the catalogue's review webhooks.
 * (The time-skipping server has no Schedules: test/e2e/review-schedule.test.ts fires the
 * Schedule on the dev server.)
 */
let env: TestWorkflowEnvironment;
let store: SqlAuditStore;
let good: WebhookReceiver;
let failing: WebhookReceiver;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
  store = new SqlAuditStore(new PgliteDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'gantry-review-wf-')), 'pglite'), { idleCloseMs: 50 }));
  await store.append(quarterOfReleases());
  good = await WebhookReceiver.start();
  failing = await WebhookReceiver.start(() => 503);
}, 60_000);
afterAll(async () => {
  await env?.teardown();
  await store?.close();
  await good?.close();
  await failing?.close();
});

const SECRET = 'review-secret-1';

function catalogueWithReviewWebhooks(): PlatformCatalogue {
  const dir = mkdtempSync(path.join(tmpdir(), 'gantry-review-catalogue-'));
  const doc = YAML.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'gantry.yaml'), 'utf8'));
  doc.review = { webhooks: [{ url: good.url, format: 'json', secretEnv: 'GANTRY_TEST_REVIEW_SECRET' }, { url: failing.url, format: 'slack' }] };
  const file = path.join(dir, 'gantry.yaml');
  writeFileSync(file, YAML.stringify(doc));
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return new PlatformCatalogue(fileCatalogueSource(file), { logger: quiet });
}

/** A worker with the review workflow and its real activities, on a queue and state folder of its own. */
async function reviewWorker(retry: RetryPolicy): Promise<{ worker: Worker; taskQueue: string; reviewsRoot: string }> {
  const reviewsRoot = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-home-')), 'reviews');
  const taskQueue = uniqueTaskQueue('review');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await gantryWorkflowBundle(),
    activities: createReviewActivities({ audit: store, reviewsRoot, catalogue: catalogueWithReviewWebhooks(), env: { GANTRY_TEST_REVIEW_SECRET: SECRET }, retry }),
  });
  return { worker, taskQueue, reviewsRoot };
}

test('writes the quarter\'s report into the state folder and sends its headline, signed; a failing webhook is in the result, not a failure', async () => {
  const { worker, taskQueue, reviewsRoot } = await reviewWorker({ attempts: 2, firstDelayMs: 10, maxDelayMs: 10, timeoutMs: 2_000 });
  const result = await worker.runUntil(env.client.workflow.execute(quarterlyReviewWorkflow, { taskQueue, workflowId: `quarterly-review-${taskQueue}`, args: [{ quarter: '2026Q4' }] }));

  expect(result.summary).toMatchObject({
    label: '2026Q4',
    chainIntact: true,
    releases: 6,
    files: { json: path.join(reviewsRoot, '2026Q4.json'), html: path.join(reviewsRoot, '2026Q4.html') },
    headline: expect.stringMatching(/^Release review 2026Q4: 5 deploys \(0\.05\/day \(medium\)\); lead time median 1d \(high\)/),
  });
  const report = JSON.parse(readFileSync(result.summary.files.json, 'utf8'));
  expect(report.dora.overall).toEqual(result.summary.overall);
  expect(readFileSync(result.summary.files.html, 'utf8')).toMatch(/^<!doctype html>/);

  expect(good.received).toHaveLength(1);
  expect(good.received[0].json).toMatchObject({ source: 'gantry', event: 'review', label: '2026Q4', headline: result.summary.headline });
  const { body, signature, timestamp } = good.received[0];
  expect(verifyWebhookSignature({ secret: SECRET, body, signature, timestamp, nowSeconds: Number(timestamp) })).toEqual({ ok: true });
  expect(failing.received).toHaveLength(2);
  expect(failing.received[0].json).toMatchObject({ text: result.summary.headline });
  expect(result.deliveries).toEqual([
    { webhook: 0, origin: new URL(good.url).origin, ok: true, attempts: 1 },
    { webhook: 1, origin: new URL(failing.url).origin, ok: false, attempts: 2, error: 'HTTP 503' },
  ]);
});

test('without a quarter it reviews the one that ended last, by the workflow\'s clock; a malformed one fails the run with the reason', async () => {
  const { worker, taskQueue } = await reviewWorker({ attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 1_000 });
  await worker.runUntil(async () => {
    const now = new Date(await env.currentTimeMs());
    const expected = `${now.getUTCMonth() < 3 ? now.getUTCFullYear() - 1 : now.getUTCFullYear()}Q${now.getUTCMonth() < 3 ? 4 : Math.floor(now.getUTCMonth() / 3)}`;
    const result = await env.client.workflow.execute(quarterlyReviewWorkflow, { taskQueue, workflowId: `quarterly-review-${taskQueue}`, args: [{}] });
    expect(result.summary.label).toBe(expected);
    await expect(env.client.workflow.execute(quarterlyReviewWorkflow, { taskQueue, workflowId: `quarterly-review-bad-${taskQueue}`, args: [{ quarter: '2026Q9' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/--quarter "2026Q9" is not a quarter/) },
    });
  });
});

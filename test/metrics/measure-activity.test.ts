import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createMeasureActivities, type MeasureInput } from '../../src/activities/measure';
import type { MetricsSourceConfig } from '../../src/config/progressive-delivery';
import { createMetricsProvider } from '../../src/providers/metrics/create-metrics-provider';
import { EmbeddedMetricsProvider } from '../../src/providers/metrics/embedded-metrics-provider';
import type { MetricsProvider } from '../../src/providers/metrics/metrics';
import { PrometheusMetricsProvider } from '../../src/providers/metrics/prometheus-metrics-provider';
import { findFreePort } from '../../src/providers/process/free-port';
import { adminTokenFileIn, writeNewAdminToken } from '../../src/providers/router/router-admin-token';
import { writeJsonAtomic } from '../../src/providers/state-dir';
import { FakeRouterAdmin } from '../support/fake-router-admin';

/** The measure activity with real providers behind it, called directly. */

let home: string;
let router: FakeRouterAdmin;
const embedded: MetricsSourceConfig = { kind: 'embedded' };
const input = (overrides: Partial<MeasureInput> = {}): MeasureInput => ({
  service: 'web',
  environment: 'staging',
  version: '1.0.0',
  windowMs: 60_000,
  metrics: embedded,
  ...overrides,
});

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gantry-home-'));
  router = await FakeRouterAdmin.start('web', 'staging');
  // Where the embedded router records itself under GANTRY_HOME.
  const adminTokenFile = adminTokenFileIn(path.join(home, 'routers', 'web', 'staging'));
  await writeNewAdminToken(adminTokenFile);
  await writeJsonAtomic(path.join(home, 'routers', 'web', 'staging', 'router.json'), { pid: process.pid, publicUrl: 'http://127.0.0.1:1', adminUrl: router.url, adminTokenFile });
  for (let i = 0; i < 20; i += 1) router.record('1.0.0', i === 0 ? '5xx' : '2xx', 0.01);
});

afterAll(async () => {
  await router?.close();
  await rm(home, { recursive: true, force: true });
});

test('createMetricsProvider makes the provider the config names', () => {
  expect(createMetricsProvider(embedded, home)).toBeInstanceOf(EmbeddedMetricsProvider);
  expect(createMetricsProvider({ kind: 'prometheus', url: 'http://127.0.0.1:9090', queries: {} }, home)).toBeInstanceOf(PrometheusMetricsProvider);
});

test('measures through the provider made for the service config, which finds routers under <home>/routers', async () => {
  const seen: MetricsSourceConfig[] = [];
  const { measure } = createMeasureActivities((config) => {
    seen.push(config);
    return createMetricsProvider(config, home);
  });
  expect(await measure(input())).toEqual({ kind: 'value', requests: 20, errors: 1, errorRate: 0.05, latencyMs: { p50: 10, p99: 10 } });
  expect(seen).toEqual([embedded]);
});

test('unreachable and noData are returned as data, not thrown', async () => {
  const { measure } = createMeasureActivities((config) => createMetricsProvider(config, home));
  expect(await measure(input({ version: '9.9.9' }))).toMatchObject({ kind: 'noData' });
  expect(await measure(input({ environment: 'production' }))).toMatchObject({ kind: 'unreachable' });
  const down = { kind: 'prometheus' as const, url: `http://127.0.0.1:${await findFreePort()}`, queries: {} };
  expect(await measure(input({ metrics: down }))).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('connection refused') });
});

test('a query that can never work is a non-retryable failure', async () => {
  const { measure } = createMeasureActivities((config) => createMetricsProvider(config, home));
  for (const bad of [{ windowMs: 0 }, { windowMs: 1.5 }, { version: '' }]) {
    const err = await measure(input(bad)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InvalidMetricsQuery', nonRetryable: true });
  }
});

test('a provider that throws (a config that cannot work, a bug) is a non-retryable failure that keeps the cause', async () => {
  const { measure } = createMeasureActivities((config) => createMetricsProvider(config, home));
  const typo = { kind: 'prometheus' as const, url: 'http://127.0.0.1:9090', queries: { requests: 'sum(x{v="{{verison}}"})' } };
  const err = await measure(input({ metrics: typo })).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'MetricsProviderFailed', nonRetryable: true, message: expect.stringContaining('{{verison}}') });

  const buggy: MetricsProvider = { measure: () => Promise.reject(new TypeError('boom')), probe: async () => ({ online: true }) };
  const failure = await createMeasureActivities(() => buggy).measure(input()).catch((e: unknown) => e);
  expect(failure).toMatchObject({ type: 'MetricsProviderFailed', cause: expect.objectContaining({ message: 'boom' }) });
});

describe('metricsSourceReady', () => {
  const activities = () => createMeasureActivities((config) => createMetricsProvider(config, home));

  test("is online when the environment's router answers with its stats", async () => {
    expect(await activities().metricsSourceReady({ service: 'web', environment: 'staging', metrics: embedded })).toEqual({ online: true });
  });

  test('is offline, with the reason, when there is no router or no Prometheus', async () => {
    const { metricsSourceReady } = activities();
    expect(await metricsSourceReady({ service: 'web', environment: 'production', metrics: embedded })).toEqual({
      online: false,
      reason: expect.stringContaining('no embedded router is recorded for web/production'),
    });
    const url = `http://127.0.0.1:${await findFreePort()}`;
    expect(await metricsSourceReady({ service: 'web', environment: 'staging', metrics: { kind: 'prometheus', url, queries: {} } })).toEqual({
      online: false,
      reason: `Prometheus at ${url} did not answer: connection refused`,
    });
  });

  test('a provider that throws, or cannot even be made, is an offline answer rather than an exception', async () => {
    const typo = { kind: 'prometheus' as const, url: 'http://127.0.0.1:9090', queries: { requests: 'sum(x{v="{{verison}}"})' } };
    expect(await activities().metricsSourceReady({ service: 'web', environment: 'staging', metrics: typo })).toEqual({
      online: false,
      reason: expect.stringMatching(/^probing the prometheus metrics source of web\/staging failed: .*\{\{verison\}\}/),
    });

    const buggy: MetricsProvider = { measure: () => Promise.reject(new Error('unused')), probe: () => Promise.reject(new TypeError('boom')) };
    expect(await createMeasureActivities(() => buggy).metricsSourceReady({ service: 'web', environment: 'staging', metrics: embedded })).toEqual({
      online: false,
      reason: 'probing the embedded metrics source of web/staging failed: boom',
    });
  });

  test('a call without a service or environment is a non-retryable failure', async () => {
    const err = await activities().metricsSourceReady({ service: '', environment: 'staging', metrics: embedded }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InvalidMetricsQuery', nonRetryable: true, message: 'metricsSourceReady needs a service; got ""' });
  });
});

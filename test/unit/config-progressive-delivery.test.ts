import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCatalogue } from '../../src/config/load-catalogue';
import { DEFAULT_CANARY_STEPS } from '../../src/config/progressive-delivery';
import { EnvironmentSchema } from '../../src/config/service-catalogue';

const CATALOGUE = `version: 1
services:
  web:
    repository: ./web
    build: node build.js
    test:
      unit: node --test test/
      lint: node lint.js
    artifact:
      include: [dist]
    run:
      command: node dist/server.js
    environments:
      staging: {}
      production:
        strategy: canary
        router:
          kind: embedded
          canaryUsers: [alice]
        metrics:
          kind: prometheus
          url: http://127.0.0.1:9090
          queries:
            errors: sum(rate(http_errors_total{service="{{service}}"}[{{window}}]))
        canary:
          steps:
            - { weight: 10, soak: 5m }
            - { weight: 50, soak: 1m30s }
            - { weight: 100 }
          interval: 30s
          analysis:
            maxErrorRate: 0.02
            maxLatencyP99Ms: 300
            failureMode: total
  api:
    repository: ./web
    build: node build.js
    test:
      unit: node --test test/
      lint: node lint.js
    artifact:
      include: [dist]
    run:
      command: node dist/server.js
    environments:
      staging: {}
      production:
        strategy: blueGreen
        blueGreen:
          keepBlueFor: 2m
          interval: 20s
          approveSwitch: true
        router:
          kind: haproxy
          socket: /run/haproxy/admin.sock
          backend: api_production
          url: http://127.0.0.1:8081
`;

let workDir: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-config-'));
  fs.mkdirSync(path.join(workDir, 'web'));
  fs.writeFileSync(path.join(workDir, 'gantry.yaml'), CATALOGUE);
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

test('an environment that says nothing gets the release standard', () => {
  expect(EnvironmentSchema.parse({})).toEqual({
    target: 'local',
    strategy: 'allAtOnce',
    router: { kind: 'embedded', canaryUsers: [] },
    metrics: { kind: 'embedded' },
    canary: {
      steps: DEFAULT_CANARY_STEPS,
      interval: 60_000,
      analysis: { maxErrorRate: 0.01, maxLatencyRatio: 1.25, latencyToleranceMs: 10, minRequests: 20, failureLimit: 2, failureMode: 'consecutive', inconclusiveLimit: 3 },
    },
    blueGreen: {
      keepBlueFor: 600_000,
      interval: 60_000,
      previewRequests: 50,
      approveSwitch: false,
      analysis: { maxErrorRate: 0.01, maxLatencyRatio: 1.25, latencyToleranceMs: 10, minRequests: 20, failureLimit: 2, failureMode: 'consecutive', inconclusiveLimit: 3 },
    },
  });
  expect(DEFAULT_CANARY_STEPS).toEqual([
    { weight: 5, soak: 600_000 },
    { weight: 10, soak: 600_000 },
    { weight: 50, soak: 1_800_000 },
    { weight: 100 },
  ]);
});

test('a canary environment: steps and interval in milliseconds, analysis overrides merged with defaults', () => {
  const production = loadCatalogue(path.join(workDir, 'gantry.yaml')).catalogue.services.web.environments.production;
  expect(production.strategy).toBe('canary');
  expect(production.router).toEqual({ kind: 'embedded', canaryUsers: ['alice'] });
  expect(production.metrics).toEqual({
    kind: 'prometheus',
    url: 'http://127.0.0.1:9090',
    queries: { errors: 'sum(rate(http_errors_total{service="{{service}}"}[{{window}}]))' },
  });
  expect(production.canary).toEqual({
    steps: [{ weight: 10, soak: 300_000 }, { weight: 50, soak: 90_000 }, { weight: 100 }],
    interval: 30_000,
    analysis: { maxErrorRate: 0.02, maxLatencyP99Ms: 300, maxLatencyRatio: 1.25, latencyToleranceMs: 10, minRequests: 20, failureLimit: 2, failureMode: 'total', inconclusiveLimit: 3 },
  });
});

test('a blue/green environment behind HAProxy', () => {
  const production = loadCatalogue(path.join(workDir, 'gantry.yaml')).catalogue.services.api.environments.production;
  expect(production.strategy).toBe('blueGreen');
  expect(production.router).toEqual({ kind: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'api_production', url: 'http://127.0.0.1:8081' });
  expect(production.blueGreen).toMatchObject({ keepBlueFor: 120_000, interval: 20_000, previewRequests: 50, approveSwitch: true });
  expect(production.metrics).toEqual({ kind: 'embedded' });
});

test.each([
  ['canary', { strategy: 'canary', canary: { interval: '20m' } }],
  ['blueGreen', { strategy: 'blueGreen', blueGreen: { interval: '1h' } }],
])('a %s interval longer than the embedded metrics keep is refused, naming the field and the fix', (strategy, environment) => {
  const result = EnvironmentSchema.safeParse(environment);
  expect(result.success).toBe(false);
  expect(result.error?.issues).toEqual([
    expect.objectContaining({ path: [strategy, 'interval'], message: expect.stringMatching(/keep the last 15 minutes.*use at most 15m, or metrics: \{ kind: prometheus \}/) }),
  ]);
});

test('the same interval is fine with Prometheus, which keeps what it keeps, and 15m is fine with the embedded metrics', () => {
  expect(EnvironmentSchema.safeParse({ strategy: 'canary', canary: { interval: '20m' }, metrics: { kind: 'prometheus', url: 'http://127.0.0.1:9090' } }).success).toBe(true);
  expect(EnvironmentSchema.safeParse({ strategy: 'canary', canary: { interval: '15m' } }).success).toBe(true);
  // Only the strategy in use is checked: an allAtOnce environment never analyses.
  expect(EnvironmentSchema.safeParse({ strategy: 'allAtOnce', canary: { interval: '20m' } }).success).toBe(true);
});

test('a PromQL query with a placeholder the provider does not fill is refused when the config is read', () => {
  const result = EnvironmentSchema.safeParse({ metrics: { kind: 'prometheus', url: 'http://127.0.0.1:9090', queries: { errors: 'sum(rate(x{v="{{verison}}"}[{{window}}]))' } } });
  expect(result.success).toBe(false);
  expect(result.error?.issues).toEqual([
    expect.objectContaining({ path: ['metrics', 'queries', 'errors'], message: 'unknown placeholder {{verison}}; the known ones are {{service}}, {{environment}}, {{version}}, {{role}}, {{window}}' }),
  ]);
});

import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * Workflow and policy code stays deterministic, and the modules keep to their side of
 * src/contracts, because lint refuses what would break replay or couple them: Node
 * builtins, providers and activity implementations, timers, randomness and the clock,
 * the router's internals. Each rule is shown catching a breach, and legitimate code
 * beside it is shown passing.
 */
const ROOT = path.resolve(__dirname, '..', '..');

type Probe = [file: string, code: string];

/**
 * Lints every probe as if it were its file, with the project's own ESLint and config
 * (as `npm run lint` does), in one process: starting ESLint once per probe would cost a
 * second each.
 */
function lintAll(probes: Probe[]): Map<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    const probes = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const hits = [];
      for (const [file, code] of probes) {
        const [result] = await eslint.lintText(code, { filePath: file });
        hits.push(result.messages.map((m) => m.ruleId + ': ' + m.message));
      }
      process.stdout.write(JSON.stringify(hits));
    })().catch((err) => { console.error(err); process.exit(2); });`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(probes), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  const hits = JSON.parse(run.stdout) as string[][];
  return new Map(probes.map(([file, code], i) => [`${file}\n${code}`, hits[i] ?? []]));
}

const BUILTIN = /no-restricted-imports.*no Node builtins/;
const ROUTER = /no-restricted-imports.*src\/contracts/;
const POLICY_CLOCK = /no-restricted-syntax.*take the time as a parameter/;
const BY_RECORD = /no-restricted-syntax.*only through its decision record/;

/** Every builtin Node knows (not its `_` internals), in both spellings, imported for its side effects. */
const everyBuiltin = builtinModules
  .filter((name) => !name.startsWith('_'))
  .flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`]));

const refused: [file: string, code: string, expected: RegExp][] = [
  // Node builtins, from Node's own list: the old hand-written one had none of these.
  ['src/workflows/probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n", BUILTIN],
  ['src/workflows/probe.ts', "import { spawn } from 'child_process';\nexport const x = spawn;\n", BUILTIN],
  ['src/workflows/probe.ts', "import { builtinModules } from 'node:module';\nexport const x = builtinModules;\n", BUILTIN],
  ['src/workflows/probe.ts', "import { channel } from 'node:diagnostics_channel';\nexport const x = channel;\n", BUILTIN],
  ['src/policy/probe.ts', "import { AsyncLocalStorage } from 'async_hooks';\nexport const x = AsyncLocalStorage;\n", BUILTIN],
  ['src/shared/probe.ts', "import { setTimeout } from 'node:timers/promises';\nexport const x = setTimeout;\n", BUILTIN],
  ['src/contracts/probe.ts', "import { createHash } from 'node:crypto';\nexport const x = createHash;\n", BUILTIN],
  // Side effects only through activities.
  ['src/workflows/probe.ts', "import { createActivities } from '../activities';\nexport const x = createActivities;\n", /no-restricted-imports.*only through activities/],
  ['src/policy/probe.ts', "import { LocalProcessRuntime } from '../providers/runtime/local-process-runtime';\nexport const x = LocalProcessRuntime;\n", /no-restricted-imports/],
  ['src/policy/probe.ts', "import pino from 'pino';\nexport const x = pino;\n", /no-restricted-imports/],
  // The catalogue schema (zod) stays out of code loaded per workflow; its types are fine.
  ['src/policy/probe.ts', "import { SERVICE_NAME_PATTERN } from '../config/service-catalogue';\nexport const x = SERVICE_NAME_PATTERN;\n", /no-restricted-imports.*catalogue schema \(zod\)/],
  ['src/workflows/probe.ts', "import { z } from 'zod';\nexport const x = z.string();\n", /no-restricted-imports.*catalogue schema \(zod\)/],
  // Workflow globals: each message names what to use instead.
  ['src/workflows/probe.ts', 'export const x = Math.random();\n', /no-restricted-properties.*Math\.random/],
  ['src/workflows/probe.ts', 'export const x = () => setTimeout(() => undefined, 1);\n', /no-restricted-globals.*sleep\(\)/],
  ['src/workflows/probe.ts', 'export const x = () => setImmediate(() => undefined);\n', /no-restricted-globals.*sleep\(\)/],
  ['src/workflows/probe.ts', 'export const x = process.env.X;\n', /no-restricted-globals.*workflowInfo\(\)/],
  ['src/workflows/probe.ts', 'export const x = crypto.randomUUID();\n', /no-restricted-globals.*uuid4\(\)/],
  ['src/workflows/probe.ts', 'export const x = performance.now();\n', /no-restricted-globals.*Date\.now\(\)/],
  ['src/workflows/strategies/probe.ts', 'export const x = process.env.X;\n', /no-restricted-globals.*workflowInfo\(\)/],
  ['src/shared/probe.ts', 'export const x = crypto.randomUUID();\n', /no-restricted-globals.*uuid4\(\)/],
  // Policy takes the time, settings and randomness as parameters.
  ['src/policy/probe.ts', 'export const x = Date.now();\n', POLICY_CLOCK],
  ['src/policy/probe.ts', 'export const x = new Date();\n', POLICY_CLOCK],
  ['src/policy/probe.ts', 'export const x = new Date().toISOString();\n', POLICY_CLOCK],
  ['src/policy/probe.ts', "export const x = Date.parse('2025-01-03T10:00:00Z');\n", POLICY_CLOCK],
  ['src/policy/probe.ts', 'export const x = Date();\n', POLICY_CLOCK],
  ['src/policy/probe.ts', 'export const x = (ms: number) => new Date(ms).getHours();\n', POLICY_CLOCK],
  ['src/policy/probe.ts', 'export const x = process.env.TZ;\n', /no-restricted-globals.*take settings as parameters/],
  ['src/policy/probe.ts', 'export const x = crypto.randomUUID();\n', /no-restricted-globals.*as parameters/],
  ['src/policy/probe.ts', 'export const x = performance.now();\n', /no-restricted-globals.*take the time as a parameter/],
  ['src/policy/probe.ts', 'export const x = () => setTimeout(() => undefined, 1);\n', /no-restricted-globals.*let the workflow sleep\(\)/],
  // A status changes only through the decision record, whatever the writing looks like.
  ['src/workflows/probe.ts', "export const x = (r: { status: { phase: string } }) => { r.status.phase = 'paused'; };\n", BY_RECORD],
  ['src/workflows/probe.ts', 'export const x = (r: { status: { soak: { done: number } } }) => { r.status.soak.done += 1; };\n', BY_RECORD],
  ['src/workflows/probe.ts', 'export const x = (r: { status: { soak: { done: number } } }) => { r.status.soak.done++; };\n', BY_RECORD],
  ['src/workflows/probe.ts', 'export const x = (r: { status: { ignored: string[] } }) => r.status.ignored.push(\'abort\');\n', BY_RECORD],
  ['src/workflows/strategies/probe.ts', 'export const x = (r: { status: { environments: Record<string, string> } }) => { delete r.status.environments.staging; };\n', BY_RECORD],
  ['src/workflows/probe.ts', "export const x = (r: { status: { phase: string } }) => Object.assign(r.status, { phase: 'paused' });\n", BY_RECORD],
  // Nobody but the router's own client imports the router program; contracts are shared instead.
  ['src/policy/probe.ts', "import { STATS_RETENTION_MS } from '../router/router-protocol';\nexport const x = STATS_RETENTION_MS;\n", ROUTER],
  ['src/workflows/probe.ts', "import { STATS_RETENTION_MS } from '../router/router-protocol';\nexport const x = STATS_RETENTION_MS;\n", ROUTER],
  ['src/workflows/probe.ts', "import type { RouterStats } from '../router/router-protocol';\nexport type X = RouterStats;\n", ROUTER],
  ['src/workflows/strategies/probe.ts', "import type { RouterStats } from '../../router/router-protocol';\nexport type X = RouterStats;\n", ROUTER],
  ['src/config/probe.ts', "import { STATS_RETENTION_MS } from '../router/router-protocol';\nexport const x = STATS_RETENTION_MS;\n", ROUTER],
  ['src/shared/probe.ts', "import { RouterAdminClient } from '../router/router-admin-client';\nexport const x = RouterAdminClient;\n", ROUTER],
  ['src/providers/router/probe.ts', "import { routerSettings } from '../../router/router-settings';\nexport const x = routerSettings;\n", /no-restricted-imports.*only through src\/router\/router-admin-client/],
  ['src/providers/probe.ts', "import { RouterState } from '../router/router-state';\nexport const x = RouterState;\n", /no-restricted-imports.*only through src\/router\/router-admin-client/],
  ['src/contracts/probe.ts', "import type { RouterSettings } from '../router/router-settings';\nexport type X = RouterSettings;\n", /no-restricted-imports.*src\/contracts imports nothing/],
];

const allowed: Probe[] = [
  // What workflows and policy may not do is ordinary in activities.
  [
    'src/activities/probe.ts',
    "import fs from 'node:fs';\nimport { channel } from 'node:diagnostics_channel';\nimport { STATS_RETENTION_MS } from '../contracts/router-protocol';\nimport { RouterAdminClient } from '../router/router-admin-client';\n" +
      'export const x = [fs, channel, STATS_RETENTION_MS, RouterAdminClient, Math.random(), process.env.X, crypto.randomUUID(), performance.now(), Date.now(), new Date()];\n' +
      'export const y = () => setImmediate(() => undefined);\n',
  ],
  // Type-only imports of activities and providers, and any import of the contracts.
  ['src/workflows/probe.ts', "import type { GantryActivities } from '../activities';\nexport type X = GantryActivities;\n"],
  ['src/workflows/probe.ts', "import type { ServiceConfig } from '../config/service-catalogue';\nexport type X = ServiceConfig;\n"],
  ['src/workflows/probe.ts', "import type { MetricsProvider } from '../providers/metrics/metrics';\nexport type X = MetricsProvider;\n"],
  ['src/workflows/probe.ts', "import type { Route } from '../contracts/routes';\nimport { VERSION_HEADER } from '../contracts/headers';\nexport const x = (r: Route) => [r, VERSION_HEADER];\n"],
  ['src/policy/probe.ts', "import type { Measurement } from '../contracts/measurements';\nexport type X = Measurement;\n"],
  ['src/config/probe.ts', "import { STATS_RETENTION_MS } from '../contracts/router-protocol';\nexport const x = STATS_RETENTION_MS;\n"],
  ['src/contracts/probe.ts', "import type { Route } from './routes';\nimport { z } from 'zod';\nexport const x = (r: Route) => z.string().parse(r.url);\n"],
  // Reading a status, and recording a decision, is what workflows do.
  ['src/workflows/probe.ts', "export const x = (r: { status: { phase: string; analyses: string[] }; record(e: object): void }) => { const last = r.status.analyses[r.status.analyses.length - 1]; r.record({ kind: 'phase', phase: r.status.phase, last }); };\n"],
  // The workflow's clock is Temporal's: Date is fine there.
  ['src/workflows/probe.ts', 'export const x = [Date.now(), new Date().toISOString()];\n'],
  // Policy may write a time it was given, and name the Date type.
  ['src/policy/probe.ts', 'export const x = (nowMs: number) => new Date(nowMs).toISOString();\nexport type Y = (at: Date) => string;\n'],
  // A provider is the router's client; `../router` from a provider kind is the router provider.
  ['src/providers/router/probe.ts', "import { RouterAdminClient } from '../../router/router-admin-client';\nimport { ROUTER_EXIT } from '../../contracts/router-protocol';\nexport const x = [RouterAdminClient, ROUTER_EXIT];\n"],
  ['src/providers/metrics/probe.ts', "import { readRouterRecord } from '../router/embedded-router-provider';\nexport const x = readRouterRecord;\n"],
];

const everyBuiltinProbe: Probe = ['src/workflows/probe.ts', everyBuiltin.map((name) => `import '${name}';\n`).join('')];

describe('the determinism and boundary lint rules', () => {
  let hits: Map<string, string[]>;
  const hitsOf = (file: string, code: string): string[] => hits.get(`${file}\n${code}`) ?? [];

  beforeAll(() => {
    hits = lintAll([...refused.map(([file, code]): Probe => [file, code]), ...allowed, everyBuiltinProbe]);
  });

  test.each(refused)('%s refuses %j', (file, code, expected) => {
    expect(hitsOf(file, code)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  test.each(allowed)('%s allows %j', (file, code) => {
    expect(hitsOf(file, code)).toEqual([]);
  });

  test('every builtin module Node knows is refused in workflows, in both spellings', () => {
    const [file, code] = everyBuiltinProbe;
    expect(everyBuiltin).toEqual(expect.arrayContaining(['worker_threads', 'node:diagnostics_channel', 'node:module', 'async_hooks']));
    expect(hitsOf(file, code).filter((hit) => BUILTIN.test(hit))).toHaveLength(everyBuiltin.length);
  });
});

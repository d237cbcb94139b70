#!/usr/bin/env node
'use strict';
// How long --starts concurrent `gantry release start` calls take to be admitted, as CI
// would run them: that many real CLI processes spawned at once, each ending when the
// platform has answered its admission (update-with-start). Reported per round: the time
// from the spawns to the last exit, each process's own time, and from the releases'
// histories when each start reached the server (counted from the spawns: the CLI's
// start-up, connection and first call) and how long its admission took from there (the
// worker's side), as p50, p95 and max. Alongside,
// what one CLI process costs before it does anything: `node -e 0` (the floor) and
// `gantry --help` (start-up and command registration, nothing sent), run one at a time.
//
// With `--baseline <dir>` (another checkout, e.g. `git worktree add` or `git archive` of
// an older commit, built with `npm run build`, node_modules linked) its CLI runs too, in
// turn with this checkout's (A B, then B A, …, so the noise of a shared machine falls on
// both), and the ratios current ÷ baseline are printed. Both talk to one dev server and
// one `gantry worker` of this checkout. The releases are of one service whose only
// environment is behind the approval gate and whose build, tests and lint are `true`, so
// each admitted release checks out, packs a one-file artifact and parks at approval;
// between rounds the bench waits until every release so far is parked.
// Run: `npm run build && node bench/concurrent-starts.js [--starts 100] [--rounds 2]
//       [--startup 10] [--baseline <dir>]`. Reports, never asserts.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');
const { Client, Connection } = require('@temporalio/client');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { initRepository, spawnWorker: spawnGantryWorker } = require('./support/bench-processes');
const { startDevServer } = dist('dev/dev-server');

function argument(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}
function count(name, fallback) {
  const raw = argument(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number`);
  return value;
}
const STARTS = count('starts', 100);
const ROUNDS = count('rounds', 2);
const STARTUP_RUNS = count('startup', 10);
const BASELINE = argument('baseline') && path.resolve(argument('baseline'));
const TASK_QUEUE = 'bench-starts';
const SERVICE = 'gated';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await step().catch((err) => console.error(`cleanup: ${err.message}`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the bench started…`);
    void cleanup().then(() => process.exit(130));
  });
}

/** Runs a process to its end; resolves to its exit code and how long it took (ms). */
function run(args, env) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code, signal) => resolve({ code: code ?? signal, ms: performance.now() - startedAt, stderr }));
  });
}

/** `gantry worker` on the bench's queue, stopped with everything else the bench started. */
async function spawnWorker(client, env, logFile) {
  const worker = await spawnGantryWorker(client, env, logFile, TASK_QUEUE);
  cleanups.push(() => worker.stop());
  return worker;
}

const describe = (values) => `p50 ${s(percentile(values, 50))}, p95 ${s(percentile(values, 95))}, max ${s(Math.max(...values))}`;
const eventMs = (event) => Number(event.eventTime.seconds) * 1000 + event.eventTime.nanos / 1e6;

/**
 * From each release's history (server clock, same machine): when its start reached the
 * server, counted from the spawns (the CLI's start-up, connection and describe), and how
 * long the admission took from there (the worker's side: the admission update answered).
 */
async function whereTheTimeWent(client, versions, spawnedAt) {
  const reached = [];
  const admission = [];
  for (const version of versions) {
    const history = await client.workflow.getHandle(`release/${SERVICE}/${version}`).fetchHistory().catch(() => undefined);
    const completed = history?.events.find((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    if (!completed) continue;
    const started = eventMs(history.events[0]);
    reached.push(started - spawnedAt);
    admission.push(eventMs(completed) - started);
  }
  return { reached, admission };
}

async function main() {
  if (BASELINE && !fs.existsSync(path.join(BASELINE, 'dist', 'cli', 'main.js'))) throw new Error(`${BASELINE} has no dist/cli/main.js: build it first (npm run build)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-starts-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const commit = initRepository(path.join(dir, 'service'), 'nothing to build\n', 'A service that parks at approval');
  const catalogue = path.join(dir, 'gantry.yaml');
  const service = {
    repository: './service',
    build: 'true',
    test: { unit: 'true', lint: 'true' },
    artifact: { include: ['app.txt'] },
    run: { command: 'exit 1' },
    // One environment: the approval gate is before it, so a release parks without deploying.
    environments: { production: { target: 'local', strategy: 'allAtOnce' } },
    approval: { approvers: ['bob'], minApprovals: 1, timeout: '24h' },
  };
  fs.writeFileSync(catalogue, YAML.stringify({ version: 1, services: { [SERVICE]: service } }));

  const server = await startDevServer();
  cleanups.push(() => server.stop());
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    GANTRY_TASK_QUEUE: TASK_QUEUE,
    GANTRY_HOME: path.join(dir, '.gantry'),
    GANTRY_CATALOGUE: catalogue,
    LOG_LEVEL: 'warn',
  };
  await spawnWorker(client, env, path.join(dir, 'worker.log'));
  console.log(`dev server ${server.address}; catalogue and worker log in ${dir}`);

  const variants = [{ name: 'current', root: REPO }, ...(BASELINE ? [{ name: 'baseline', root: BASELINE }] : [])];
  const cli = (variant) => path.join(variant.root, 'bin', 'gantry.js');
  const inTurn = (k) => (k % 2 === 0 ? variants : [...variants].reverse());

  // Start-up alone, one process at a time.
  const startup = { floor: [] };
  for (const v of variants) startup[v.name] = [];
  for (let k = 0; k < STARTUP_RUNS; k++) {
    startup.floor.push((await run(['-e', '0'], env)).ms);
    for (const v of inTurn(k)) {
      const r = await run([cli(v), '--help'], env);
      if (r.code !== 0) throw new Error(`${cli(v)} --help exited ${r.code}: ${r.stderr}`);
      startup[v.name].push(r.ms);
    }
  }

  // One uncontended start each, in turn: what a single CI job sees.
  const single = Object.fromEntries(variants.map((v) => [v.name, []]));
  let parkedSoFar = 0;
  const release = (v, version) => run([cli(v), 'release', 'start', '--service', SERVICE, '--version', version, '--commit', commit, '--author', 'alice'], env);
  const waitUntilParked = async (expected) => {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { count: parked } = await client.workflow.count(`GantryStage="approval" AND ExecutionStatus="Running"`);
      if (parked >= expected) return;
      if (Date.now() > deadline) throw new Error(`only ${parked} of ${expected} releases parked at approval after 10 minutes; see ${dir}/worker.log`);
      await sleep(500);
    }
  };
  for (let k = 0; k < Math.min(STARTUP_RUNS, 5); k++) {
    for (const v of inTurn(k)) {
      const r = await release(v, `0.${k}.0-single-${v.name}`);
      if (r.code !== 0) throw new Error(`release start (${v.name}) exited ${r.code}: ${r.stderr}`);
      single[v.name].push(r.ms);
      await waitUntilParked(++parkedSoFar);
    }
  }

  // Concurrent starts, a round per variant in turn.
  const rounds = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of inTurn(round - 1)) {
      const versions = Array.from({ length: STARTS }, (_, i) => `${round}.${i}.0-${v.name}`);
      const spawnedAt = Date.now();
      const startedAt = performance.now();
      const results = await Promise.all(versions.map((version) => release(v, version)));
      const wallMs = performance.now() - startedAt;
      const failed = results.filter((r) => r.code !== 0);
      const each = results.map((r) => r.ms);
      const split = await whereTheTimeWent(client, versions, spawnedAt);
      rounds[v.name].push({ wallMs, each, failed: failed.length, ...split });
      console.log(
        `round ${round} ${v.name.padEnd(8)}: ${STARTS} starts admitted in ${s(wallMs)} (each: p50 ${s(percentile(each, 50))}, p95 ${s(percentile(each, 95))}); ` +
          `requests reached the server ${describe(split.reached)} after the spawns, admitted ${describe(split.admission)} after they did` +
          (failed.length ? `; ${failed.length} FAILED, e.g. exit ${failed[0].code}: ${failed[0].stderr.trim().split('\n').pop()}` : ''),
      );
      parkedSoFar += STARTS - failed.length;
      await waitUntilParked(parkedSoFar);
    }
  }

  const med = (values) => percentile(values, 50);
  console.log(`\nstart-up, one process at a time (${STARTUP_RUNS} runs each, median): node -e 0 ${s(med(startup.floor))}`);
  for (const v of variants) {
    const help = med(startup[v.name]);
    const one = med(single[v.name]);
    const walls = rounds[v.name].map((r) => r.wallMs);
    const each = rounds[v.name].flatMap((r) => r.each);
    console.log(
      `${v.name.padEnd(8)}: gantry --help ${s(help)}; one release start alone ${s(one)}; ${STARTS} concurrent starts admitted in ${walls.map(s).join(', ')} ` +
        `(each ${describe(each)}; reaching the server ${describe(rounds[v.name].flatMap((r) => r.reached))}; ` +
        `admission ${describe(rounds[v.name].flatMap((r) => r.admission))})`,
    );
  }
  if (BASELINE) {
    const ratio = (f) => (f('current') / f('baseline')).toFixed(2);
    console.log(
      `current ÷ baseline: --help ${ratio((n) => med(startup[n]))}, one start ${ratio((n) => med(single[n]))}, ` +
        `${STARTS} concurrent ${ratio((n) => med(rounds[n].map((r) => r.wallMs)))} (medians)`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit();
  });

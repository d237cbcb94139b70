#!/usr/bin/env node
'use strict';
// What releases parked at approval cost the worker that holds them, and how fast one
// moves again once approved.
//
// N releases are started through the client API (update-with-start, as `gantry release
// start` does) in a bounded parallel window and each runs until it waits for approval:
// build, tests and lint (trivial commands), artifact, staging deploy (no smoke test), then
// `approval`, holding its staging environment entity (`environment/<service>/staging@…`).
// Reported: the RSS of each `gantry worker` process (/proc/<pid>/status VmRSS, median of
// 5 readings after 10 s of quiet) idle with the same catalogue, and with N/4, N/2, 3N/4
// and N releases and their entities parked; per release, the slope over those four
// readings and (all parked − idle) ÷ N; the same for N bare parked workflows on a fresh
// worker (the smallest workflow of the bundle that parks: an environment entity nobody
// asked for a turn, on a queue of its own); and, over --samples approvals sent one at a
// time (`approve` update as bob), the time until the update is answered and until the
// release's status leaves the `approval` stage (status query polled every 20 ms).
//
// Design choice: by default a release parks at approval after its staging deploy, which
// starts a real instance of the service per release. One node process per release would
// not fit in memory at N=1000, so every release is of its own service (`parked-0001`, …;
// releases of one service would take turns on its staging entity, and a later one would
// replace the earlier one in staging), all built from one tiny git repository, whose run
// command is a very small long-running HTTP server in C (answers 200 to every request,
// health path included; 1.2 MB RSS each, 0.1 MB of it not shared), compiled with gcc
// once into the cache folder (~/.cache/gantry/bench, or $GANTRY_CACHE_DIR) outside the
// repository. Build, test and lint commands are `true`. The approvals run production
// deploys of those services the same way.
//
// `--workers 2` runs two `gantry worker` processes with separate state folders, host names
// and one shared artifact store (as on two machines) on the same task queue and reports
// both RSS figures: each release's checkout and each environment land on one of them.
//
// Everything it starts (dev server, workers, service instances, the temp folder) is
// stopped and removed on exit, Ctrl-C included (`--keep` keeps the temp folder).
// Run: `npm run build && node bench/parked-releases.js [--releases 1000] [--workers 1|2]
//       [--window 16] [--samples 20] [--no-bare] [--keep]`. Reports, never asserts.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');
const { Client, Connection } = require('@temporalio/client');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { initRepository, spawnWorker: spawnGantryWorker } = require('./support/bench-processes');
const { startDevServer } = dist('dev/dev-server');
const { gantryCacheDir } = dist('dev/cache-dir');
const { startOrAttachRelease, releaseResult } = dist('client/release-client');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number`);
  return value;
}
const RELEASES = option('releases', 1000);
const WORKERS = option('workers', 1);
const WINDOW = option('window', 16);
const SAMPLES = Math.min(option('samples', 20), RELEASES);
const BARE = !process.argv.includes('--no-bare');
const KEEP = process.argv.includes('--keep');
if (WORKERS > 2) throw new Error('--workers is 1 or 2');

const TASK_QUEUE = 'bench-parked';
const BARE_QUEUE = 'bench-bare';
const SETTLE_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const serviceName = (i) => `parked-${String(i).padStart(4, '0')}`;

const TINY_HTTP_C = `
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
/* Answers every request on 127.0.0.1:$PORT with 200 "ok". */
int main(void) {
  const char *port = getenv("PORT");
  if (!port) { fputs("PORT is not set\\n", stderr); return 2; }
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(port)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0) { perror("listen"); return 1; }
  static const char reply[] = "HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n";
  char buf[8192];
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    if (read(c, buf, sizeof buf) >= 0 && write(c, reply, sizeof reply - 1) < 0) perror("write");
    shutdown(c, SHUT_WR);
    close(c);
  }
}
`;

/** Compiles the tiny server once per source text into the cache folder; returns the binary. */
function tinyHttpServer() {
  const hash = crypto.createHash('sha256').update(TINY_HTTP_C).digest('hex').slice(0, 12);
  const dir = path.join(gantryCacheDir(), 'bench', `tiny-http-${hash}`);
  const binary = path.join(dir, 'tiny-http');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tiny-http.c'), TINY_HTTP_C);
  const partial = `${binary}.${process.pid}`;
  execFileSync('gcc', ['-Os', '-o', partial, path.join(dir, 'tiny-http.c')], { stdio: 'inherit' });
  fs.renameSync(partial, binary);
  return binary;
}

function writeCatalogue(file, server) {
  const service = {
    repository: './service',
    build: 'true',
    test: { unit: 'true', lint: 'true' },
    artifact: { include: ['app.txt'] },
    run: { command: `exec ${server}`, health: '/healthz', startTimeout: '30s' },
    environments: { staging: { target: 'local', strategy: 'allAtOnce' }, production: { target: 'local', strategy: 'allAtOnce' } },
    approval: { approvers: ['bob'], minApprovals: 1, timeout: '24h' },
  };
  const services = {};
  for (let i = 1; i <= RELEASES; i++) services[serviceName(i)] = service;
  fs.writeFileSync(file, YAML.stringify({ version: 1, services }, { aliasDuplicateObjects: false }));
}

function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
}

/** The median of `count` RSS readings one second apart, after `settleMs`. */
async function settledRss(pid, settleMs = SETTLE_MS, count = 5) {
  await sleep(settleMs);
  const readings = [];
  for (let i = 0; i < count; i++) {
    readings.push(rssKb(pid));
    if (i < count - 1) await sleep(1_000);
  }
  return percentile(readings, 50);
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

/** Everything to undo on exit, in order; run once, also on Ctrl-C. */
const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      await step().catch((err) => console.error(`cleanup: ${err.message}`));
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the bench started…`);
    void cleanup().then(() => process.exit(130));
  });
}

/** `node bin/gantry.js worker`; resolves once the server lists it among the queue's pollers. */
/** `gantry worker` on `taskQueue`, stopped with everything else the bench started. */
async function spawnWorker(client, env, logFile, taskQueue) {
  const worker = await spawnGantryWorker(client, env, logFile, taskQueue);
  cleanups.push(() => worker.stop());
  return worker;
}

/**
 * Stops every service instance recorded under a state folder: all signalled at once
 * (each is its own process group, started by the bench's workers), then the records
 * marked stopped.
 */
async function stopInstances(home) {
  const root = path.join(home, 'runtime');
  const groups = [];
  for (const file of findFiles(root, 'instance.json')) {
    const { pid, state } = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (state !== 'stopped' && Number.isInteger(pid) && pid > 1) groups.push(pid);
  }
  const signal = (sig) => groups.forEach((pid) => { try { process.kill(-pid, sig); } catch { /* gone */ } });
  signal('SIGTERM');
  await sleep(500);
  signal('SIGKILL');
  await stopAllInstances(root, 1_000);
}

function findFiles(dir, name, found = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) findFiles(path.join(dir, entry.name), name, found);
    else if (entry.name === name) found.push(path.join(dir, entry.name));
  }
  return found;
}

async function inChunks(items, size, each) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

/** Where the RSS is read, by number parked: a quarter, half, three quarters, all. */
const CHECKPOINTS = [...new Set([1, 2, 3, 4].map((k) => Math.max(1, Math.round((RELEASES * k) / 4))))];

/**
 * Least-squares slope of RSS over the number parked: the marginal cost of one more, which
 * a difference from the idle reading would blur (a worker that just bundled its workflows
 * holds garbage that its first collections free).
 */
function slopeKb(points) {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.count, 0) / n;
  const my = points.reduce((a, p) => a + p.rss, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.count - mx) * (p.rss - my), 0);
  const sxx = points.reduce((a, p) => a + (p.count - mx) ** 2, 0);
  return sxy / sxx;
}

/** N bare parked workflows on a fresh worker: its idle RSS, then with them parked (at each checkpoint). */
async function measureBare(client, baseEnv, dir) {
  const home = path.join(dir, '.gantry-bare');
  const env = { ...baseEnv, GANTRY_TASK_QUEUE: BARE_QUEUE, GANTRY_HOME: home };
  const worker = await spawnWorker(client, env, path.join(dir, 'worker-bare.log'), BARE_QUEUE);
  const idle = await settledRss(worker.pid);
  const started = Date.now();
  const points = [];
  let from = 0;
  for (const upTo of CHECKPOINTS) {
    const ids = Array.from({ length: upTo - from }, (_, i) => `bench-bare/${from + i + 1}`);
    await inChunks(ids, 50, (workflowId) =>
      client.workflow.start('environmentWorkflow', { taskQueue: BARE_QUEUE, workflowId, args: [{ service: workflowId.replace('/', '-'), environment: 'idle' }] }),
    );
    // A query is answered once the workflow's first task has run: then it is parked.
    await inChunks(ids, 50, (workflowId) => client.workflow.getHandle(workflowId).query('environment'));
    points.push({ count: upTo, rss: await settledRss(worker.pid) });
    from = upTo;
  }
  console.log(`bare: ${RELEASES} parked workflows in ${((Date.now() - started) / 1000).toFixed(1)} s (with settling); RSS ${points.map((p) => `${p.count}: ${mb(p.rss)}`).join(', ')}`);
  await worker.stop();
  return { idle, parked: points[points.length - 1].rss, slope: slopeKb(points) };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-parked-'));
  cleanups.push(async () => {
    if (KEEP) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  const server = tinyHttpServer();
  // One repository for every service: a file to pack, nothing to build.
  const commit = initRepository(path.join(dir, 'service'), 'a service whose program is the tiny HTTP server named by its run command\n', 'The parked service');
  const catalogue = path.join(dir, 'gantry.yaml');
  writeCatalogue(catalogue, server);

  const dev = await startDevServer();
  cleanups.push(() => dev.stop());
  const connection = await Connection.connect({ address: dev.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  const baseEnv = { ...process.env, TEMPORAL_ADDRESS: dev.address, TEMPORAL_NAMESPACE: 'default', GANTRY_CATALOGUE: catalogue, LOG_LEVEL: 'warn' };
  console.log(`dev server ${dev.address}; ${RELEASES} services, catalogue and worker logs in ${dir}; service program ${server}`);

  const bare = BARE ? await measureBare(client, baseEnv, dir) : undefined;

  const homes = Array.from({ length: WORKERS }, (_, i) => path.join(dir, `.gantry-${i + 1}`));
  for (const home of homes) cleanups.push(() => stopInstances(home));
  const workers = [];
  // Two workers are two machines: each its own host name (so its own queue of machine-local
  // work) and state folder, one artifact store both mount.
  const sharedArtifacts = path.join(dir, 'artifact-store');
  fs.mkdirSync(sharedArtifacts, { recursive: true });
  for (const [i, home] of homes.entries()) {
    const env = { ...baseEnv, GANTRY_TASK_QUEUE: TASK_QUEUE, GANTRY_HOME: home, GANTRY_WORKER_HOST: `bench-${i + 1}`, GANTRY_ARTIFACT_STORE: sharedArtifacts };
    workers.push(await spawnWorker(client, env, path.join(dir, `worker-${i + 1}.log`), TASK_QUEUE));
  }
  const idle = await Promise.all(workers.map((w) => settledRss(w.pid)));
  console.log(`idle worker RSS: ${idle.map(mb).join(', ')}`);

  // Parks every release: at most WINDOW between admission and approval at a time; at
  // each checkpoint the lanes stop, the worker settles and its RSS is read.
  const handles = new Array(RELEASES);
  const started = Date.now();
  let next = 1;
  let parked = 0;
  let upTo = 0;
  const points = workers.map(() => []);
  const status = (handle) => connection.withDeadline(Date.now() + 10_000, () => handle.query('status'));
  const lane = async () => {
    while (next <= upTo) {
      const i = next++;
      const request = { service: serviceName(i), version: '1.0.0', commit, author: 'alice' };
      const { handle } = await startOrAttachRelease(client, request, { taskQueue: TASK_QUEUE });
      handles[i - 1] = handle;
      for (;;) {
        const s = await status(handle).catch(() => undefined);
        if (s?.outcome) throw new Error(`${request.service} ended ${s.outcome} before it parked: ${s.reason}`);
        if (s?.stage === 'approval' && s.waitingFor !== undefined) break;
        await sleep(250);
      }
      parked += 1;
      if (parked % 50 === 0 || parked === RELEASES) {
        console.log(`${String(parked).padStart(5)} parked after ${((Date.now() - started) / 1000).toFixed(0)} s; worker RSS ${workers.map((w) => mb(rssKb(w.pid))).join(', ')}`);
      }
    }
  };
  let settling = 0;
  for (const checkpoint of CHECKPOINTS) {
    upTo = checkpoint;
    await Promise.all(Array.from({ length: WINDOW }, lane));
    const settleStarted = Date.now();
    const rss = await Promise.all(workers.map((w) => settledRss(w.pid)));
    settling += Date.now() - settleStarted;
    rss.forEach((r, i) => points[i].push({ count: checkpoint, rss: r }));
    console.log(`checkpoint ${checkpoint} parked: settled RSS ${rss.map(mb).join(', ')}`);
  }
  const parkingSeconds = (Date.now() - started - settling) / 1000;
  const entities = await client.workflow
    .count(`WorkflowType="environmentWorkflow" AND ExecutionStatus="Running" AND TaskQueue="${TASK_QUEUE}"`)
    .then((c) => c.count)
    .catch((err) => `unknown (${err.message})`);
  const full = points.map((p) => p[p.length - 1].rss);
  const slopes = points.map(slopeKb);

  // Approvals one at a time, spread over the parked releases.
  const updateMs = [];
  const movingMs = [];
  const unexpected = [];
  for (let k = 0; k < SAMPLES; k++) {
    const handle = handles[Math.floor((k * RELEASES) / SAMPLES)];
    const sentAt = performance.now();
    await handle.executeUpdate('approve', { args: [{ by: 'bob', comment: 'bench' }] });
    const answeredAt = performance.now();
    let movedAt;
    while (movedAt === undefined) {
      const s = await status(handle);
      if (s.stage !== 'approval') movedAt = performance.now();
      else await sleep(20);
    }
    updateMs.push(answeredAt - sentAt);
    movingMs.push(movedAt - sentAt);
    const result = await releaseResult(handle);
    if (result.outcome !== 'succeeded') unexpected.push(`${handle.workflowId}: ${result.outcome} (${result.reason})`);
  }

  const ms = (v) => `${v.toFixed(0)} ms`;
  const perRelease = (full.reduce((a, b) => a + b, 0) - idle.reduce((a, b) => a + b, 0)) / RELEASES;
  const perMb = (kb) => `${(kb / 1024).toFixed(3)} MB`;
  console.log(`\n${RELEASES} releases parked at approval with their staging entities (${entities} running), ${WORKERS} worker${WORKERS > 1 ? 's' : ''}, window ${WINDOW}: ${parkingSeconds.toFixed(0)} s to park (settling excluded)`);
  workers.forEach((w, i) =>
    console.log(`worker ${i + 1} RSS: idle ${mb(idle[i])}; parked ${points[i].map((p) => `${p.count}: ${mb(p.rss)}`).join(', ')}; slope ${perMb(slopes[i])} per release`),
  );
  console.log(`per parked release (with its entity): ${perMb(slopes.reduce((a, b) => a + b, 0))} (slope${WORKERS > 1 ? 's summed' : ''}), ${perMb(perRelease)} (all parked − idle, ÷ ${RELEASES}); total ${mb(full.reduce((a, b) => a + b, 0))}${WORKERS > 1 ? ' over both workers' : ''}`);
  if (bare) {
    console.log(`bare parked workflows: idle ${mb(bare.idle)}, ${RELEASES} parked ${mb(bare.parked)}; per workflow ${perMb(bare.slope)} (slope), ${perMb((bare.parked - bare.idle) / RELEASES)} (all parked − idle, ÷ ${RELEASES})`);
  }
  console.log(`approval → update answered: median ${ms(percentile(updateMs, 50))}, p95 ${ms(percentile(updateMs, 95))}, max ${ms(Math.max(...updateMs))} (${SAMPLES} approvals)`);
  console.log(`approval → release moving (stage leaves approval): median ${ms(percentile(movingMs, 50))}, p95 ${ms(percentile(movingMs, 95))}, max ${ms(Math.max(...movingMs))}`);
  if (unexpected.length) console.log(`UNEXPECTED OUTCOMES: ${unexpected.join('; ')}`);
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

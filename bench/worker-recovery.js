#!/usr/bin/env node
'use strict';
// How long a release stands still after its worker is SIGKILLed: for each stage of the
// crash matrix (test/e2e/crash-matrix.test.ts) a release is started, the `gantry worker`
// process is killed when the release reaches the stage, a new one is spawned a second
// later, and the time from that spawn to the release moving again (a new stage, rollout
// report, timeline entry or outcome) is measured. Real dev server, worker processes,
// builds, instances, router and traffic on loopback.
// Run: `npm run build && node bench/worker-recovery.js` (BENCH_ROUNDS=3 rounds per stage;
// BENCH_STAGES=build,rollback,… to run some). Reports, never asserts.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');
const { Client, Connection } = require('@temporalio/client');
const { temporal } = require('@temporalio/proto');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { startDevServer } = dist('dev/dev-server');

const { startOrAttachRelease, releaseResult } = dist('client/release-client');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');
const { stopAllRouters } = dist('providers/router/embedded-router-provider');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TASK_QUEUE = 'bench-recovery';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const CANARY = {
  steps: [{ weight: 10, soak: '6s' }, { weight: 50, soak: '6s' }, { weight: 100 }],
  interval: '2s',
  analysis: { minRequests: 3, maxErrorRate: 0.05, latencyToleranceMs: 200, failureLimit: 2, inconclusiveLimit: 5 },
};
const BLUE_GREEN = { keepBlueFor: '6s', interval: '2s', previewRequests: 30, analysis: CANARY.analysis };

/** The crash matrix's three services, made from the example one (see the test for why each is shaped so). */
function writeCatalogue(dir) {
  const doc = YAML.parse(fs.readFileSync(path.join(dir, 'gantry.yaml'), 'utf8'));
  const web = doc.services.web;
  delete web.test.integration;
  const service = (production, approval) => ({ ...structuredClone(web), approval, environments: { staging: web.environments.staging, production } });
  const none = { approvers: [], minApprovals: 0 };
  doc.services = {
    crashy: service({ strategy: 'canary', router: { kind: 'embedded' }, canary: CANARY }, none),
    'crashy-bg': service({ strategy: 'blueGreen', router: { kind: 'embedded' }, blueGreen: BLUE_GREEN }, none),
    'crashy-gate': service({ target: 'local', strategy: 'allAtOnce' }, { approvers: ['bob'], minApprovals: 1, timeout: '1h' }),
  };
  fs.writeFileSync(path.join(dir, 'gantry.yaml'), YAML.stringify(doc));
  return doc;
}

/** Makes the example service's folder a git repository with one commit; returns the commit. */
function initRepository(dir) {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com' };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: path.join(dir, 'web'), env, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'The example service');
  return git('rev-parse', 'HEAD');
}

/** `node bin/gantry.js worker`; `polling` resolves when the server lists this pid among the task queue's pollers. */
function spawnWorker(env, client, logFile) {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'gantry.js'), 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const polling = (async () => {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the worker exited before it polled; see ${logFile}`);
      const answer = await client.workflowService
        .describeTaskQueue({ namespace: 'default', taskQueue: { name: TASK_QUEUE }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW })
        .catch(() => ({ pollers: [] }));
      if (answer.pollers.some((p) => p.identity.startsWith(`${child.pid}@`))) return Date.now();
      await sleep(25);
    }
  })();
  return {
    spawnedAt,
    polling,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Bounded loops of real requests through a router, so analyses have data. */
function startLoad(url, concurrency) {
  let stopped = false;
  let user = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      user += 1;
      await fetch(url, { headers: { 'x-gantry-user': `user-${user % 500}` }, signal: AbortSignal.timeout(5_000) })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      await sleep(20);
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-recovery-'));
  fs.cpSync(path.join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
  const catalogue = writeCatalogue(dir);
  const commit = initRepository(dir);
  const home = path.join(dir, '.gantry');
  const server = await startDevServer();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', GANTRY_TASK_QUEUE: TASK_QUEUE, GANTRY_HOME: home, GANTRY_CATALOGUE: path.join(dir, 'gantry.yaml') };
  let workers = 0;
  const newWorker = () => spawnWorker(env, client, path.join(dir, `worker-${++workers}.log`));
  let worker = newWorker();
  await worker.polling;
  console.log(`dev server ${server.address}; workspace and worker logs in ${dir}`);

  /**
   * Starts a release of `service` at `version`, the platform's catalogue changed by `edit`
   * first (the worker admits the release under the catalogue as it is then).
   */
  const start = async (service, version, edit = () => undefined) => {
    const doc = structuredClone(catalogue);
    edit(doc.services[service]);
    fs.writeFileSync(path.join(dir, 'gantry.yaml'), YAML.stringify(doc));
    const { handle } = await startOrAttachRelease(client, { service, version, commit, author: 'alice' }, { taskQueue: TASK_QUEUE });
    return handle;
  };
  const status = (handle, timeoutMs = 3_000) => connection.withDeadline(Date.now() + timeoutMs, () => handle.query('status')).catch(() => undefined);
  const running = async (handle, activityType) => {
    const description = await handle.describe();
    return (description.raw.pendingActivities ?? []).some(
      (a) => a.activityType?.name === activityType && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
  };
  // Spawned and recorded (instance.json says `starting`): the state a retried start adopts.
  const spawned = (version, environment) => {
    const envDir = path.join(home, 'runtime', 'crashy', environment);
    const dirs = fs.existsSync(envDir) ? fs.readdirSync(envDir).filter((d) => d.startsWith(`${version}-`)) : [];
    return dirs.some((d) => JSON.parse(fs.readFileSync(path.join(envDir, d, 'instance.json'), 'utf8')).state === 'starting');
  };
  const key = (s) => JSON.stringify([s.stage, s.rollout?.revision, s.timeline.length, s.outcome]);
  const pollUntil = async (what, check, everyMs, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      await sleep(everyMs);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  // Stable versions to release against, and traffic through both routers.
  // One after the other: both build in the same source folder, which no lock guards.
  const stable = [await releaseResult(await start('crashy', '1.0.0')), await releaseResult(await start('crashy-bg', '1.0.0'))];
  const stopLoads = stable.map((r) => startLoad(r.status.rollout.routerUrl, 2));

  let canaryMinor = 0;
  let bgMinor = 0;
  let gateMinor = 0;
  const canaryVersion = (suffix = '') => `1.${++canaryMinor}.0${suffix}`;
  const STAGES = {
    build: () => ({
      service: 'crashy', version: canaryVersion(), expected: 'succeeded',
      edit: (c) => (c.build = `sleep 2 && ${c.build}`),
      killWhen: async (s, h) => s.stage === 'build' && (await running(h, 'runCommand')),
    }),
    artifact: () => ({
      service: 'crashy', version: canaryVersion(), expected: 'succeeded',
      edit: (c) => (c.build = `${c.build} && head -c 40000000 /dev/urandom > dist/ballast.bin`),
      killWhen: async (s, h) => s.stage === 'artifact' && (await running(h, 'publishArtifact')),
    }),
    staging: () => ({
      service: 'crashy', version: canaryVersion(), expected: 'succeeded',
      edit: (c) => (c.run.command = `sleep 2 && exec ${c.run.command}`),
      // Spawned, not healthy yet: the retried start must adopt it, not spawn another.
      killWhen: async (s, h) => s.stage === 'staging' && spawned(s.version, 'staging') && (await running(h, 'startInstance')),
    }),
    'canary step 1 soak': () => ({
      service: 'crashy', version: canaryVersion(), expected: 'succeeded',
      killWhen: (s) => s.rollout?.phase === 'progressing' && s.rollout.step === 0 && s.rollout.soak?.done === 1,
    }),
    'canary step 2 soak': () => ({
      service: 'crashy', version: canaryVersion(), expected: 'succeeded',
      killWhen: (s) => s.rollout?.phase === 'progressing' && s.rollout.step === 1 && s.rollout.soak?.done === 1,
    }),
    rollback: () => ({
      service: 'crashy', version: canaryVersion('-bad'), expected: 'rolled_back',
      killWhen: (s) => (s.rollout?.analyses ?? []).some((a) => a.verdict === 'fail') || s.rollout?.phase === 'rolling_back',
    }),
    'blue/green keeping blue': () => ({
      service: 'crashy-bg', version: `1.${++bgMinor}.0`, expected: 'succeeded',
      killWhen: (s) => s.rollout?.phase === 'keeping_blue' && s.rollout.soak?.done === 1,
    }),
    approval: () => ({
      service: 'crashy-gate', version: `1.${++gateMinor}.0`, expected: 'succeeded',
      killWhen: (s) => s.stage === 'approval' && s.waitingFor !== undefined,
      afterRestart: (h) => h.executeUpdate('approve', { args: [{ by: 'bob' }] }),
    }),
  };
  const selected = process.env.BENCH_STAGES ? process.env.BENCH_STAGES.split(',').map((s) => s.trim()) : Object.keys(STAGES);
  const results = Object.fromEntries(selected.map((s) => [s, { polling: [], moving: [], unexpected: [] }]));

  for (let round = 1; round <= ROUNDS; round++) {
    for (const stage of selected) {
      const c = STAGES[stage]();
      const handle = await start(c.service, c.version, c.edit);
      const atKill = await pollUntil(`${c.service} ${c.version} at ${stage}`, async () => {
        const s = await status(handle);
        return s && (await c.killWhen(s, handle)) ? s : undefined;
      }, 50);
      await worker.kill();
      await sleep(1_000);
      worker = newWorker();
      if (c.afterRestart) {
        await worker.polling;
        await c.afterRestart(handle);
      }
      const movedAt = await pollUntil(`${c.service} ${c.version} to move again`, async () => {
        const s = await status(handle, 2_000);
        return s && key(s) !== key(atKill) ? Date.now() : undefined;
      }, 100);
      const pollingMs = (await worker.polling) - worker.spawnedAt;
      const movingMs = movedAt - worker.spawnedAt;
      // A rollout that pauses (say, no traffic reached it) waits for a person: end the bench instead of waiting forever.
      const result = await Promise.race([
        releaseResult(handle),
        new Promise((_, reject) => {
          const why = `${c.service} ${c.version} did not end within 5 minutes after the crash at ${stage}; see \`temporal workflow query -w ${handle.workflowId} --name status --address ${server.address}\``;
          setTimeout(() => reject(new Error(why)), 300_000).unref();
        }),
      ]);
      const r = results[stage];
      r.polling.push(pollingMs);
      r.moving.push(movingMs);
      if (result.outcome !== c.expected) r.unexpected.push(`${c.version}: ${result.outcome} (${result.reason})`);
      console.log(`round ${round} ${stage.padEnd(24)} ${c.service} ${c.version}: ${result.outcome}; polling after ${pollingMs} ms, moving after ${movingMs} ms`);
    }
  }

  await Promise.all(stopLoads.map((stop) => stop()));
  await worker.stop();
  await stopAllInstances(path.join(home, 'runtime'));
  await stopAllRouters(path.join(home, 'routers'));
  await connection.close();
  await server.stop();

  const ms = (v) => `${v} ms`.padStart(9);
  console.log(`\nworker SIGKILLed at each stage, new worker spawned 1 s later; ${ROUNDS} rounds; times from the new worker's spawn`);
  console.log(`${'stage'.padEnd(24)} ${'polling p50'.padStart(11)} ${'max'.padStart(9)} ${'moving p50'.padStart(11)} ${'max'.padStart(9)}`);
  for (const stage of selected) {
    const r = results[stage];
    console.log(
      `${stage.padEnd(24)} ${ms(percentile(r.polling, 50)).padStart(11)} ${ms(Math.max(...r.polling))} ${ms(percentile(r.moving, 50)).padStart(11)} ${ms(Math.max(...r.moving))}` +
        (r.unexpected.length ? `   UNEXPECTED OUTCOMES: ${r.unexpected.join('; ')}` : ''),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

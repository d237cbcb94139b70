#!/usr/bin/env node
'use strict';
/*
 * The kill switch end to end: from `gantry flags kill` returning to an application
 * evaluating the flag off, through the real CLI, a Temporal dev server and a real
 * `gantry worker` process that serves the flag sync endpoint (GANTRY_FLAGS_SYNC):
 *
 *   npm run build && node bench/flag-kill-cli.js
 *
 * Two applications run as their own processes, each with the stock OpenFeature server SDK
 * and the stock flagd provider (in-process resolver): one on the worker's sync endpoint,
 * one reading the worker's flag file (`offlineFlagSourcePath`, file mode). Each evaluates
 * the flag every millisecond and reports the first moment it sees a new store revision;
 * the clocks are this machine's (performance.timeOrigin + performance.now()).
 *
 * Each round sets the flag on for everyone (`gantry flags set`), waits until the sync
 * application sees it, then kills it (`gantry flags kill`) and times, from the moment the
 * kill command exits, how long until the application evaluates off. A negative figure
 * means the application saw the kill before the command had returned (the entity answers
 * only after the store holds the change). BENCH_KILLS (default 20) kills are measured on
 * the sync stream; the first BENCH_FILE_KILLS (default 5) are also waited for in file
 * mode, which polls the file about every 5 s.
 *
 * Reported, never asserted: the numbers depend on the machine and what else runs on it.
 */
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const REPO = path.join(__dirname, '..');
const GANTRY = path.join(REPO, 'bin', 'gantry.js');
const FLAG = 'bench-checkout';
const CONTEXT = { targetingKey: 'user-1', email: 'user-1@example.net' };

if (process.argv[2] === 'app') runApplication(process.argv[3], process.argv[4]);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });

function now() {
  return performance.timeOrigin + performance.now();
}

/** The application: evaluate every millisecond, report each new revision the moment it answers. */
async function runApplication(mode, where) {
  const { OpenFeature } = require('@openfeature/server-sdk');
  const { FlagdProvider } = require('@openfeature/flagd-provider');
  const options =
    mode === 'sync'
      ? { resolverType: 'in-process', host: where.slice(0, where.lastIndexOf(':')), port: Number(where.slice(where.lastIndexOf(':') + 1)), streamDeadlineMs: 0 }
      : { resolverType: 'in-process', offlineFlagSourcePath: where };
  await OpenFeature.setProviderAndWait(new FlagdProvider(options));
  const client = OpenFeature.getClient();
  let last;
  process.send({ ready: true });
  process.on('disconnect', () => process.exit(0));
  for (;;) {
    const details = await client.getBooleanDetails(FLAG, false, CONTEXT);
    const revision = details.flagMetadata.gantryRevision;
    if (revision !== last) {
      last = revision;
      process.send({ revision, value: details.value, at: now() });
    }
    await sleep(1);
  }
}

async function main() {
  const dist = (p) => path.join(REPO, 'dist', p);
  if (!fs.existsSync(dist('cli/commands/flags.js'))) {
    console.error('dist/cli/commands/flags.js is missing: run `npm run build` first');
    process.exit(2);
  }
  const { startDevServer, freePort } = require(dist('dev/dev-server'));
  const { flagsFile } = require(dist('providers/flags/file-flag-store'));
  const kills = Number(process.env.BENCH_KILLS || 20);
  const fileKills = Math.min(kills, Number(process.env.BENCH_FILE_KILLS || 5));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-flag-kill-'));
  fs.cpSync(path.join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !['dist', 'node_modules'].includes(path.basename(src)) });
  const catalogue = path.join(dir, 'gantry.yaml');
  // Roles as a platform would name them: the benchmark's kills go through the role check.
  fs.writeFileSync(catalogue, fs.readFileSync(catalogue, 'utf8').replace(/^services:\n/m, 'flags:\n  editors: [ann]\n  killers: [olga]\nservices:\n'));
  const server = await startDevServer();
  const syncAddress = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const home = path.join(dir, '.gantry');
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    GANTRY_TASK_QUEUE: 'bench-flags',
    GANTRY_HOME: home,
    GANTRY_CATALOGUE: catalogue,
    GANTRY_FLAGS_SYNC: syncAddress,
  };
  const logFile = path.join(dir, 'worker.log');
  const worker = spawn(process.execPath, [GANTRY, 'worker'], { env, stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a')] });
  const gantry = (args) =>
    new Promise((resolve) => {
      const started = now();
      const child = spawn(process.execPath, [GANTRY, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr, started, exited: now() }));
    });
  const apps = [];
  const latencies = { sync: [], file: [], command: [], fromStart: [] };
  try {
    await waitForLog(logFile, 'flag sync serving', worker);
    const on = path.join(dir, 'on.json');
    fs.writeFileSync(on, JSON.stringify({ state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' }));
    const first = await gantry(['flags', 'set', FLAG, '--file', on, '--as', 'ann', '--json']);
    if (first.code !== 0) throw new Error(`gantry flags set failed: ${first.stderr}`);

    apps.push(startApplication('sync', syncAddress), startApplication('file', flagsFile(home)));
    const [sync, file] = apps;
    await Promise.all(apps.map((app) => app.ready));
    for (let i = 0; i < kills; i++) {
      const withFile = i < fileKills;
      const set = await gantry(['flags', 'set', FLAG, '--file', on, '--as', 'ann', '--reason', `round ${i}`, '--json']);
      if (set.code !== 0) throw new Error(`gantry flags set failed: ${set.stderr}`);
      const setRevision = JSON.parse(set.stdout).revision;
      await Promise.all((withFile ? [sync, file] : [sync]).map((app) => app.seen(setRevision)));
      // File mode sees a change at its next poll: a random pause puts the kill at a random point of the poll cycle.
      await sleep(withFile ? Math.random() * 5_000 : 50);
      const kill = await gantry(['flags', 'kill', FLAG, '--as', 'olga', '--reason', `round ${i}`, '--json']);
      if (kill.code !== 0) throw new Error(`gantry flags kill failed: ${kill.stderr}`);
      const answer = JSON.parse(kill.stdout);
      const seen = await Promise.all((withFile ? [sync, file] : [sync]).map((app) => app.seen(answer.revision)));
      latencies.command.push(kill.exited - kill.started);
      latencies.sync.push(seen[0] - kill.exited);
      latencies.fromStart.push(seen[0] - kill.started);
      if (withFile) latencies.file.push(seen[1] - kill.exited);
    }
  } finally {
    for (const app of apps) app.child.kill();
    worker.kill('SIGTERM');
    await new Promise((resolve) => (worker.exitCode !== null ? resolve() : worker.once('exit', resolve)));
    await server.stop();
  }

  const row = (name, values) => {
    if (values.length === 0) return `${name.padEnd(44)}    0`;
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return `${name.padEnd(44)} ${String(sorted.length).padStart(4)} ${ms(at(0.5))} ${ms(at(0.95))} ${ms(sorted[sorted.length - 1])}`;
  };
  console.log(`gantry flags kill → application evaluates off (stock OpenFeature SDK ${version('@openfeature/server-sdk')}, flagd provider ${version('@openfeature/flagd-provider')}), Node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`${'from the kill command returning'.padEnd(44)} ${'n'.padStart(4)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'max'.padStart(10)}`);
  console.log(row('sync stream (GANTRY_FLAGS_SYNC)', latencies.sync));
  console.log(row('file mode (offlineFlagSourcePath)', latencies.file));
  console.log(row('the kill command itself (spawn → exit)', latencies.command));
  console.log(row('sync: from the kill command starting', latencies.fromStart));
  console.log(`(negative: the application saw the kill before the command had exited; logs in ${dir})`);
}

async function waitForLog(file, text, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited; see ${file}`);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text)) return;
    await sleep(100);
  }
  throw new Error(`the worker did not log "${text}" within 60 s; see ${file}`);
}

function startApplication(mode, where) {
  const child = fork(__filename, ['app', mode, where], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const firstSeen = new Map();
  const waiting = new Map();
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  child.on('message', (message) => {
    if (message.ready) return markReady();
    firstSeen.set(message.revision, message.at);
    waiting.get(message.revision)?.(message.at);
  });
  child.on('exit', (code) => {
    if (code) console.error(`the ${mode} application exited with ${code}`);
  });
  return {
    child,
    ready,
    seen: (revision) => (firstSeen.has(revision) ? Promise.resolve(firstSeen.get(revision)) : new Promise((resolve) => waiting.set(revision, resolve))),
  };
}

function ms(value) {
  return `${value.toFixed(Math.abs(value) < 100 ? 2 : 0)} ms`.padStart(10);
}

/** The installed version; read from the file, since the packages do not export package.json. */
function version(name) {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
}

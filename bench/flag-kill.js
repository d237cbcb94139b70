#!/usr/bin/env node
'use strict';
/*
 * How long a flag change (a kill switch) takes to reach an application, from the store's
 * write returning to the application evaluating the new value, via Gantry's flagd sync
 * stream and via file mode (the provider polls the file), side by side in one run:
 *
 *   npm run build && node bench/flag-kill.js
 *
 * The store and the sync server run in this process, as in the worker. Two applications
 * run as their own processes, each with the stock OpenFeature server SDK and the stock
 * flagd provider (in-process resolver): one connected to the sync endpoint, one reading
 * the store's file (`offlineFlagSourcePath`). Each evaluates the flag every millisecond
 * and reports the first moment it sees a new revision; the clocks are the same machine's
 * (performance.timeOrigin + performance.now(), sub-millisecond).
 *
 * Each change flips the flag (off for everyone, then on again), so half of them are
 * kills. BENCH_CHANGES (default 50) changes are measured on the sync stream; the first
 * BENCH_FILE_CHANGES (default 12) of them are also waited for in file mode, which polls
 * about every 5 s, so each of those takes seconds; a random pause before each of them
 * puts the write at a random point of the poll cycle.
 *
 * Reported, never asserted: the numbers depend on the machine and what else runs on it.
 */
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const FLAG = 'new-checkout';
/** fs.watchFile's default interval, which the provider's file mode uses. */
const FILE_POLL_MS = 5_007;
const CONTEXT = { targetingKey: 'user-1', email: 'user-1@example.net' };

if (process.argv[2] === 'app') runApplication(process.argv[3], process.argv[4]);
else main().catch((err) => {
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
  const dist = path.resolve(__dirname, '..', 'dist');
  for (const file of ['providers/flags/file-flag-store.js', 'flags/sync-server.js']) {
    if (!fs.existsSync(path.join(dist, file))) {
      console.error(`dist/${file} is missing: run \`npm run build\` first`);
      process.exit(2);
    }
  }
  const { openFileFlagStore } = require(path.join(dist, 'providers/flags/file-flag-store'));
  const { startFlagSyncServer } = require(path.join(dist, 'flags/sync-server'));
  const changes = Number(process.env.BENCH_CHANGES || 50);
  const fileChanges = Math.min(changes, Number(process.env.BENCH_FILE_CHANGES || 12));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-flags-'));
  const file = path.join(dir, 'flags', 'flags.json');
  const store = await openFileFlagStore({ file });
  await store.write(flagDocument(true));
  const server = await startFlagSyncServer({ store, listen: '127.0.0.1:0' });

  const apps = { sync: startApplication('sync', server.address), file: startApplication('file', file) };
  await Promise.all([apps.sync.ready, apps.file.ready]);
  const latencies = { sync: [], file: [] };
  try {
    for (let i = 0; i < changes; i++) {
      // File mode sees a change at its next poll; right after the previous one was seen
      // the next poll is a whole interval away. A random pause puts each write at a random
      // point of the poll cycle, as a real kill is.
      if (i < fileChanges) await sleep(Math.random() * FILE_POLL_MS);
      const { revision } = await store.write(flagDocument(i % 2 === 1));
      const written = now();
      const waitFor = i < fileChanges ? ['sync', 'file'] : ['sync'];
      const seen = await Promise.all(waitFor.map((mode) => apps[mode].seen(revision)));
      waitFor.forEach((mode, k) => latencies[mode].push(seen[k] - written));
      // Let the applications settle before the next change, so changes do not overlap.
      await sleep(20);
    }
  } finally {
    for (const app of Object.values(apps)) app.child.kill();
    await server.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const row = (name, values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return `${name.padEnd(34)} ${String(sorted.length).padStart(4)} ${ms(at(0.5))} ${ms(at(0.95))} ${ms(sorted[sorted.length - 1])}`;
  };
  console.log(`flag change → application evaluates the new value (stock OpenFeature SDK ${version('@openfeature/server-sdk')}, flagd provider ${version('@openfeature/flagd-provider')}), Node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`${'path'.padEnd(34)} ${'n'.padStart(4)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'max'.padStart(10)}`);
  console.log(row('sync stream (flagd.sync.v1)', latencies.sync));
  console.log(row('file mode (offlineFlagSourcePath)', latencies.file));
}

/** On for everyone, or killed: off for everyone. */
function flagDocument(on) {
  return { flags: { [FLAG]: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: on ? 'on' : 'off' } } };
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
  return `${value.toFixed(value < 100 ? 2 : 0)} ms`.padStart(10);
}

/** The installed version; read from the file, since the packages do not export package.json. */
function version(name) {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
}

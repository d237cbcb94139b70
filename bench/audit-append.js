#!/usr/bin/env node
'use strict';
// What the audit store costs a worker: the time to append a batch of decisions to the
// embedded PGlite store when it is closed (lock, open, append, close: what a worker pays
// once per burst) and while it is open (the rest of a burst), the same against a real
// PostgreSQL when GANTRY_AUDIT_DATABASE_URL is set, the time `verify` takes to walk the
// chain, and the process's RSS with PGlite open and after it closed; the same appends
// through the child process a worker runs PGlite in.
// Run: `npm run build && node --expose-gc bench/audit-append.js [--batches 20] [--batch 10]`.
// Reports, never asserts.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { SqlAuditStore } = dist('providers/audit/sql-audit-store');
const { PgliteDatabase } = dist('providers/audit/pglite-database');
const { PostgresDatabase } = dist('providers/audit/postgres-database');
const { PgliteProcessDatabase } = dist('providers/audit/pglite-process-database');

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCHES = option('batches', 20);
const BATCH = option('batch', 10);
const rss = () => Math.round(process.memoryUsage().rss / 1e6);
const origin = { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'bench' };
let seq = 0;
const batch = () =>
  Array.from({ length: BATCH }, () => {
    seq += 1;
    return { origin, event: { kind: 'stage_entered', stage: 'build', seq, at: new Date().toISOString(), workflowId: 'release/bench/1.0.0' } };
  });

function summary(label, ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  const p = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  console.log(`${label.padEnd(48)} p50 ${p(0.5)} ms  p95 ${p(0.95)} ms  max ${sorted[sorted.length - 1].toFixed(1)} ms  (${ms.length} batches of ${BATCH})`);
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-audit-bench-'));
  const data = path.join(dir, 'pglite');
  console.log(`RSS at start ${rss()} MB`);
  const first = new SqlAuditStore(new PgliteDatabase(data, { idleCloseMs: 0 }));
  console.log(`PGlite: new data folder (initdb) and first append: ${(await timed(() => first.append(batch()))).toFixed(0)} ms`);
  await first.close();

  const cold = [];
  for (let i = 0; i < BATCHES; i += 1) {
    const store = new SqlAuditStore(new PgliteDatabase(data, { idleCloseMs: 0 }));
    cold.push(await timed(async () => { await store.append(batch()); await store.close(); }));
  }
  summary('PGlite closed: lock, open, append, close', cold);

  const child = [];
  for (let i = 0; i < BATCHES; i += 1) {
    const store = new SqlAuditStore(new PgliteProcessDatabase(data, { childIdleMs: 0 }));
    child.push(await timed(async () => { await store.append(batch()); await store.close(); }));
  }
  summary('PGlite child process (worker): start, append, end', child);
  const childOpen = new SqlAuditStore(new PgliteProcessDatabase(data));
  await childOpen.ping();
  const childWarm = [];
  for (let i = 0; i < BATCHES; i += 1) childWarm.push(await timed(() => childOpen.append(batch())));
  summary('PGlite child process (worker) running, folder open: append', childWarm);
  const reopen = [];
  for (let i = 0; i < 5; i += 1) {
    await new Promise((r) => setTimeout(r, 1_200)); // the child lets go of the folder after 1 s of quiet
    reopen.push(await timed(() => childOpen.append(batch())));
  }
  summary('PGlite child process (worker) running, folder closed: append', reopen);
  console.log(`RSS of this process with the PGlite child running ${rss()} MB`);
  await childOpen.close();

  const warm = new SqlAuditStore(new PgliteDatabase(data, { idleCloseMs: 60_000 }));
  await warm.ping();
  const open = [];
  for (let i = 0; i < BATCHES; i += 1) open.push(await timed(() => warm.append(batch())));
  summary('PGlite open: append', open);
  console.log(`RSS with PGlite open ${rss()} MB`);
  const verifyMs = await timed(() => warm.verify());
  console.log(`PGlite verify of ${seq} entries: ${verifyMs.toFixed(0)} ms`);
  await warm.close();
  if (global.gc) for (let i = 0; i < 3; i += 1) { global.gc(); await new Promise((r) => setTimeout(r, 200)); }
  console.log(`RSS after PGlite closed${global.gc ? ' and a GC' : ' (run with --expose-gc to collect first)'} ${rss()} MB`);

  const url = process.env.GANTRY_AUDIT_DATABASE_URL;
  if (url) {
    const pgStore = new SqlAuditStore(new PostgresDatabase(url));
    await pgStore.ping();
    const pgMs = [];
    for (let i = 0; i < BATCHES; i += 1) pgMs.push(await timed(() => pgStore.append(batch())));
    summary('PostgreSQL: append', pgMs);
    const entries = (await pgStore.ping()).entries;
    console.log(`PostgreSQL verify of ${entries} entries: ${(await timed(() => pgStore.verify())).toFixed(0)} ms`);
    await pgStore.close();
  } else {
    console.log('PostgreSQL: not measured (set GANTRY_AUDIT_DATABASE_URL to an empty database)');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

#!/usr/bin/env node
'use strict';
// How long a failing canary keeps traffic: from the moment the router first sends it a
// share of traffic to the moment its weight is back to 0, over repeated releases of a
// version that fails 30 % of its requests. Real dev server, worker, router, processes
// and traffic on loopback. Run: `npm run build && node bench/canary-rollback.js`
// (BENCH_RUNS=5, BENCH_INTERVAL_MS=2000, BENCH_FAILURE_LIMIT=1). Reports, never asserts.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('@temporalio/client');
const { NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');

const dist = (p) => require(path.join(__dirname, '..', 'dist', p));
const { startDevServer } = dist('dev/dev-server');
const { createGantryWorker } = dist('worker/worker');
const { execFileSync } = require('node:child_process');
const YAML = require('yaml');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');
const { stopAllRouters, readRouterRecord, routerAdminClient } = dist('providers/router/embedded-router-provider');

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 2000);
const FAILURE_LIMIT = Number(process.env.BENCH_FAILURE_LIMIT ?? 1);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-rollback-'));
  fs.cpSync(path.join(__dirname, '..', 'examples'), dir, { recursive: true, filter: (src) => !['dist', 'node_modules'].includes(path.basename(src)) });
  const home = path.join(dir, '.gantry');
  // The platform's catalogue: shop without approval, a long first soak, the measured interval and failure limit.
  const catalogueFile = path.join(dir, 'gantry.yaml');
  const doc = YAML.parse(fs.readFileSync(catalogueFile, 'utf8'));
  const shop = doc.services.shop;
  shop.approval = { approvers: [], minApprovals: 0 };
  shop.environments.production.canary = {
    ...shop.environments.production.canary,
    steps: [{ weight: 20, soak: '60s' }, { weight: 100 }],
    interval: `${INTERVAL_MS}ms`,
    analysis: { ...shop.environments.production.canary.analysis, failureLimit: FAILURE_LIMIT },
  };
  fs.writeFileSync(catalogueFile, YAML.stringify(doc));
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com' };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: path.join(dir, 'web'), env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'The example service');
  const commit = git('rev-parse', 'HEAD');
  const server = await startDevServer();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const worker = await createGantryWorker({ connection, namespace: 'default', taskQueue: 'bench', home, catalogue: { kind: 'file', file: catalogueFile } });
  const release = (version) =>
    client.workflow
      .start('releaseWorkflow', {
        taskQueue: 'bench',
        workflowId: `release/shop/${version}`,
        args: [{ service: 'shop', version, commit, author: 'alice' }],
      })
      .then((h) => h.result().then(() => 'succeeded', (e) => e.cause?.type ?? 'failed'));

  const durations = [];
  await worker.runUntil(async () => {
    await release('1.0.0');
    const record = await readRouterRecord(path.join(home, 'routers'), 'shop', 'production');
    const admin = await routerAdminClient(record);
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          await fetch(record.publicUrl).then((r) => r.arrayBuffer()).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
    for (let i = 1; i <= RUNS; i++) {
      const version = `1.1.${i}-bad`;
      const outcome = release(version);
      let started;
      let ended;
      for (;;) {
        const canary = (await admin.getRoutes()).find((r) => r.version === version);
        const now = Date.now();
        if (!started && canary && canary.weight > 0) started = now;
        if (started && (!canary || canary.weight === 0)) {
          ended = now;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const result = await outcome;
      durations.push(ended - started);
      console.log(`run ${i}: ${version} ${result}; canary had traffic for ${ended - started} ms`);
    }
    stop = true;
    await load;
  });
  await stopAllInstances(path.join(home, 'runtime'));
  await stopAllRouters(path.join(home, 'routers'));
  await connection.close();
  await server.stop();
  console.log(
    `\ninterval ${INTERVAL_MS} ms, failureLimit ${FAILURE_LIMIT}, ${RUNS} runs: p50 ${percentile(durations, 50)} ms, p95 ${percentile(durations, 95)} ms, max ${Math.max(...durations)} ms` +
      ` (goal: p95 ≤ interval × failureLimit + 1 s = ${INTERVAL_MS * FAILURE_LIMIT + 1000} ms)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

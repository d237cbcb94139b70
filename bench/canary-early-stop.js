#!/usr/bin/env node
'use strict';
// How long users meet a bad canary: from its first failed response to its weight being
// back to 0, for a version that fails 30 % of its requests at 5 % of ~200 req/s with a
// 1-minute interval, judged by the fixed limits (failureLimit 2) and by the statistical
// judge with its early stop, side by side in one run (the runs alternate). Real dev
// server, worker, routers, processes and traffic on loopback.
// Run: `npm run build && node bench/canary-early-stop.js`
// (BENCH_RUNS=10 early-stop runs, BENCH_FIXED_RUNS=2 fixed-limit runs, BENCH_INTERVAL_MS=60000,
// BENCH_LOOPS=8 load loops). Reports, never asserts.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client } = require('@temporalio/client');
const { NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');
const YAML = require('yaml');

const dist = (p) => require(path.join(__dirname, '..', 'dist', p));
const { startDevServer } = dist('dev/dev-server');
const { createGantryWorker } = dist('worker/worker');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');
const { stopAllRouters, readRouterRecord, routerAdminClient } = dist('providers/router/embedded-router-provider');

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const FIXED_RUNS = Number(process.env.BENCH_FIXED_RUNS ?? 2);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 60_000);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 8);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-early-stop-'));
  fs.cpSync(path.join(__dirname, '..', 'examples'), dir, { recursive: true, filter: (src) => !['dist', 'node_modules'].includes(path.basename(src)) });
  const home = path.join(dir, '.gantry');
  // Two copies of shop: `fixed` judged by the limits, `judged` by the judge and its early stop.
  const catalogueFile = path.join(dir, 'gantry.yaml');
  const doc = YAML.parse(fs.readFileSync(catalogueFile, 'utf8'));
  const shop = doc.services.shop;
  const canary = (analysis) => ({ steps: [{ weight: 5, soak: `${INTERVAL_MS * 3}ms` }, { weight: 100 }], interval: `${INTERVAL_MS}ms`, analysis });
  const as = (analysis) => ({
    ...shop,
    approval: { approvers: [], minApprovals: 0 },
    environments: { ...shop.environments, production: { ...shop.environments.production, canary: canary(analysis) } },
  });
  doc.services = {
    fixed: as({ minRequests: 20, maxErrorRate: 0.01, latencyToleranceMs: 100, failureLimit: 2 }),
    judged: as({ minRequests: 20, judge: { latency: { toleranceMs: 100 } } }),
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
  const release = (service, version) =>
    client.workflow
      .start('releaseWorkflow', { taskQueue: 'bench', workflowId: `release/${service}/${version}`, args: [{ service, version, commit, author: 'alice' }] })
      .then((h) => h.result().then((r) => `${r.outcome}: ${r.reason ?? ''}`, (e) => e.cause?.type ?? 'failed'));

  const results = { fixed: [], judged: [] };
  await worker.runUntil(async () => {
    const services = {};
    for (const service of ['fixed', 'judged']) {
      await release(service, '1.0.0');
      const record = await readRouterRecord(path.join(home, 'routers'), service, 'production');
      services[service] = { url: record.publicUrl, admin: await routerAdminClient(record) };
    }
    // One load per service, so both see the same traffic; the first failure of each version is noted.
    let stop = false;
    const firstFailure = new Map();
    let served = 0;
    const loadStarted = Date.now();
    const loads = Object.values(services).flatMap(({ url }) =>
      Array.from({ length: LOOPS / 2 }, async (_, loop) => {
        let n = 0;
        while (!stop) {
          n += 1;
          const response = await fetch(url, { headers: { 'x-gantry-user': `user-${loop}-${n % 1000}` } }).catch(() => undefined);
          if (response) {
            await response.arrayBuffer();
            served += 1;
            const version = response.headers.get('x-gantry-version');
            if (response.status >= 500 && version && !firstFailure.has(version)) firstFailure.set(version, Date.now());
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
    const plan = [];
    for (let i = 1; i <= Math.max(RUNS, FIXED_RUNS); i++) {
      if (i <= RUNS) plan.push(['judged', i]);
      if (i <= FIXED_RUNS) plan.push(['fixed', i]);
    }
    for (const [service, i] of plan) {
      // Versions differ between the services: the first failure is noted per version.
      const version = `${service === 'judged' ? '1.1' : '1.2'}.${i}-bad`;
      const outcome = release(service, version);
      let ended;
      let routed = false;
      for (;;) {
        const route = (await services[service].admin.getRoutes()).find((r) => r.version === version);
        routed ||= route !== undefined && route.weight > 0;
        if (routed && firstFailure.has(version) && (!route || route.weight === 0)) {
          ended = Date.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const result = await outcome;
      const exposed = ended - firstFailure.get(version);
      results[service].push(exposed);
      console.log(`${service} run ${i}: ${version} ${result.slice(0, 140)}; ${exposed} ms from its first failed response to weight 0`);
    }
    stop = true;
    await Promise.all(loads);
    console.log(`\nload: ${Math.round((served / (Date.now() - loadStarted)) * 1000)} req/s in all over both services (${LOOPS} loops)`);
  });
  await stopAllInstances(path.join(home, 'runtime'));
  await stopAllRouters(path.join(home, 'routers'));
  await connection.close();
  await server.stop();
  const line = (name, xs) => `${name.padEnd(28)} ${String(xs.length).padStart(4)} runs  p50 ${percentile(xs, 50)} ms  p95 ${percentile(xs, 95)} ms  max ${Math.max(...xs)} ms`;
  console.log(`interval ${INTERVAL_MS} ms, canary at 5 %, version failing 30 % of its requests`);
  console.log(line('judge with early stop', results.judged));
  if (results.fixed.length) console.log(line('fixed limits, failureLimit 2', results.fixed));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

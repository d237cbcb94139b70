#!/usr/bin/env node
'use strict';
/*
 * What the embedded router costs, next to going straight to the backend and next to
 * HAProxy, measured in one run on loopback with the same load for each:
 *
 *   npm run build && node bench/router-latency.js
 *
 * Each target is loaded twice per round, BENCH_SECONDS (default 5) each, flat out with
 * keep-alive connections and one request at a time on each: with BENCH_CONNECTIONS
 * (default 32), which gives its maximum req/s, and with a single connection, where no
 * request ever waits behind another, so the latency a proxy adds is the time it spends
 * on a request. (Under saturation, p50 is about connections ÷ req/s for any proxy, by
 * Little's law: queueing, not per-request cost. autocannon's rate limit would not help:
 * it sends each second's budget in a burst.) BENCH_ROUNDS (default 3) rounds interleave the
 * targets so that a noisy moment hits one round of each, and the report takes medians.
 * A one-second warm-up per target is not counted. Latency percentiles are computed here
 * from every response's own timing (autocannon's histogram rounds to whole milliseconds,
 * too coarse on loopback); req/s is autocannon's average. BENCH_ROUTER_WORKERS sets the
 * router's worker processes (default: the router's own). Needs `haproxy` on PATH (or
 * HAPROXY_BIN).
 *
 * Reported, never asserted: the numbers depend on the machine and on everything else
 * running on it. The backend, the router and HAProxy each run as their own process, and
 * the load generator shares the same cores.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const autocannon = require('autocannon');

const dist = path.resolve(__dirname, '..', 'dist');
if (!fs.existsSync(path.join(dist, 'router', 'main.js'))) {
  console.error('dist/router/main.js is missing: run `npm run build` first');
  process.exit(2);
}
const { EmbeddedRouterProvider, stopAllRouters } = require(path.join(dist, 'providers/router/embedded-router-provider'));
const { HaproxyRouterProvider } = require(path.join(dist, 'providers/router/haproxy-router-provider'));
const { HaproxyRuntimeApi } = require(path.join(dist, 'providers/router/haproxy-runtime-api'));
const { findFreePort } = require(path.join(dist, 'providers/process/free-port'));

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
/** The router's worker processes; unset, the router's default (one per core, up to 4). */
const ROUTER_WORKERS = Number(process.env.BENCH_ROUTER_WORKERS || 0);
const WARMUP_SECONDS = 1;
/** The whole run is bounded: every round's three targets, two runs and a warm-up each, and start-up slack. */
const RUN_DEADLINE_MS = (ROUNDS * 3 * (2 * SECONDS + WARMUP_SECONDS) + 60) * 1000;

const BACKEND_SOURCE = `
const http = require('node:http');
http.createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain' }); res.end('1.0.0'); })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-'));
  const cleanups = [];
  const deadline = setTimeout(() => {
    console.error(`benchmark did not finish within ${RUN_DEADLINE_MS / 1000} s; stopping`);
    cleanup().finally(() => process.exit(1));
  }, RUN_DEADLINE_MS);
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const backendPort = await findFreePort();
    const backend = await startProcess(process.execPath, ['-e', BACKEND_SOURCE], { env: { ...process.env, PORT: String(backendPort) }, ready: backendPort });
    cleanups.push(() => stopProcess(backend));
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    const route = { instanceId: '1.0.0-bench', version: '1.0.0', url: backendUrl, weight: 100, role: 'stable' };

    const routersRoot = path.join(dir, 'routers');
    const embedded = new EmbeddedRouterProvider({ root: routersRoot, ...(ROUTER_WORKERS ? { workers: ROUTER_WORKERS } : {}) });
    cleanups.push(() => stopAllRouters(routersRoot));
    const { url: routerUrl } = await embedded.ensureRouter('bench', 'local');
    await embedded.setRoutes('bench', 'local', [route]);

    const haproxyPort = await findFreePort();
    const socket = path.join(dir, 'haproxy.sock');
    const config = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(config, haproxyConfig(haproxyPort, socket));
    const haproxy = await startProcess(process.env.HAPROXY_BIN || 'haproxy', ['-db', '-q', '-f', config], { ready: haproxyPort });
    cleanups.push(() => stopProcess(haproxy));
    await waitForSocket(socket);
    const haproxyUrl = `http://127.0.0.1:${haproxyPort}`;
    await new HaproxyRouterProvider({ socket, backend: 'bench', url: haproxyUrl, stateDir: path.join(dir, 'haproxy-state') }).setRoutes('bench', 'local', [route]);

    console.log(`node ${process.version}, haproxy ${await haproxyVersion(socket)}, ${os.cpus().length} cores (${os.cpus()[0].model.trim()})`);
    console.log(`keep-alive connections, one request at a time on each; per target and round: ${WARMUP_SECONDS} s warm-up, ${SECONDS} s with ${CONNECTIONS} connections, ${SECONDS} s with 1; ${ROUNDS} rounds, targets interleaved\n`);
    const targets = [
      ['direct', backendUrl],
      ['embedded router', routerUrl],
      ['haproxy', haproxyUrl],
    ];
    const rounds = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const results = {};
      for (const [name, url] of targets) {
        await load(url, WARMUP_SECONDS);
        results[name] = { saturated: await load(url, SECONDS, CONNECTIONS), single: await load(url, SECONDS, 1) };
      }
      rounds.push(results);
      const r = results['embedded router'];
      console.log(
        `round ${round}: router ${r.saturated.rps.toFixed(0)} req/s = ${(r.saturated.rps / results.haproxy.saturated.rps).toFixed(2)}x haproxy; ` +
          `on 1 connection it adds ${(r.single.p50 - results.direct.single.p50).toFixed(2)} ms at p50`,
      );
    }

    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    };
    const med = (name, mode, field) => median(rounds.map((r) => r[name][mode][field]));
    console.log(`\nmedians of ${ROUNDS} rounds`);
    const rows = targets.map(([name]) => [
      name,
      med(name, 'saturated', 'rps').toFixed(0),
      med(name, 'saturated', 'p50').toFixed(2),
      med(name, 'saturated', 'p99').toFixed(2),
      med(name, 'single', 'rps').toFixed(0),
      med(name, 'single', 'p50').toFixed(2),
      med(name, 'single', 'p99').toFixed(2),
      String(rounds.reduce((n, r) => n + r[name].saturated.failed + r[name].single.failed, 0)),
    ]);
    printTable(['target', 'max req/s', 'p50 ms', 'p99 ms', '1 conn req/s', 'p50 ms', 'p99 ms', 'non-2xx+errors'], rows);

    const addedP50 = median(rounds.map((r) => r['embedded router'].single.p50 - r.direct.single.p50));
    const addedP50HA = median(rounds.map((r) => r.haproxy.single.p50 - r.direct.single.p50));
    const addedP50Saturated = median(rounds.map((r) => r['embedded router'].saturated.p50 - r.direct.saturated.p50));
    const ratio = median(rounds.map((r) => r['embedded router'].saturated.rps / r.haproxy.saturated.rps));
    console.log('');
    console.log(`on 1 connection the embedded router adds ${addedP50.toFixed(2)} ms at p50 (haproxy adds ${addedP50HA.toFixed(2)} ms); goal <= 1 ms: ${addedP50 <= 1 ? 'met' : 'NOT met'}`);
    console.log(`flat out the embedded router adds ${addedP50Saturated.toFixed(2)} ms at p50, where latency is mostly queueing (${CONNECTIONS} connections / req/s)`);
    console.log(`embedded router max req/s / haproxy max req/s = ${ratio.toFixed(2)} (median of per-round ratios); goal >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

/** One autocannon run, flat out on `connections`; percentiles from every response's own timing. */
function load(url, seconds, connections = CONNECTIONS) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon({ url, connections, pipelining: 1, duration: seconds }, (err, result) => {
      if (err) return reject(err);
      latencies.sort((a, b) => a - b);
      const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
      resolve({ rps: result.requests.average, p50: at(0.5), p99: at(0.99), failed: result.non2xx + result.errors + result.timeouts });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

function haproxyConfig(port, socket) {
  return `global
  stats socket ${socket} mode 600 level admin
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:${port}
  default_backend bench
backend bench
  balance roundrobin
  use-server canary if { req.hdr(x-gantry-canary) -i -m str always }
  server stable 127.0.0.1:1 weight 100 disabled
  server canary 127.0.0.1:1 weight 0 disabled
`;
}

/** Starts a process and waits until its port accepts connections (10 s at most). */
async function startProcess(command, args, { env, ready }) {
  const child = spawn(command, args, { env: env || process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  let ended;
  child.once('error', (err) => (ended = err.code === 'ENOENT' ? `${command} not found` : err.message));
  child.once('exit', (code, signal) => (ended = `exited with ${signal || `code ${code}`}`));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(ready))) {
    if (ended) throw new Error(`${command} ${ended} before port ${ready} accepted connections`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not listen on port ${ready} within 10 s`);
    }
    await sleep(50);
  }
  child.ended = () => ended !== undefined;
  return child;
}

async function stopProcess(child) {
  if (child.ended()) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitForSocket(socket) {
  const api = new HaproxyRuntimeApi(socket, 1_000);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await api.info();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

async function haproxyVersion(socket) {
  return (await new HaproxyRuntimeApi(socket).info()).Version;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../../src/providers/process/free-port';

/**
 * A real HAProxy for tests: the `haproxy` binary (Debian package `haproxy`, installed by
 * .ci/run; `HAPROXY_BIN` overrides the path) in the foreground (`-db`) as a child of
 * the test, on a free loopback port, with its config and admin-level stats socket in a
 * temp dir. The backend is the one HaproxyRouterProvider's doc comment asks teams to
 * declare, sticky users and allow-list included, so the test checks the documentation
 * too.
 */

export interface RunningHaproxy {
  /** Where clients reach the frontend, e.g. http://127.0.0.1:41234 */
  url: string;
  socket: string;
  backend: string;
  pid: number;
  config: string;
  /** `host:port` of the Prometheus exporter, when asked for. */
  metricsHost?: string;
  /** Stops HAProxy and removes its directory. */
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  backend?: string;
  /** User keys written to the allow-list file. */
  canaryUsers?: string[];
  /** Also serve HAProxy's Prometheus exporter at http://127.0.0.1:<port>/metrics (see `metricsHost`). */
  prometheusExporter?: boolean;
  /** The stats socket's `mode` (default `600`, what the provider asks for); a looser one shows what it refuses. */
  socketMode?: string;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export function haproxyConfig(options: { port: number; socket: string; backend: string; allowList: string; metricsPort?: number; socketMode?: string }): string {
  // HAProxy's built-in Prometheus exporter, for tests that judge a canary by its metrics.
  const exporter = options.metricsPort
    ? `
frontend prometheus
  bind 127.0.0.1:${options.metricsPort}
  http-request use-service prometheus-exporter if { path /metrics }
`
    : '';
  return `global
  stats socket ${options.socket} mode ${options.socketMode ?? '600'} level admin
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s

frontend web
  bind 127.0.0.1:${options.port}
  default_backend ${options.backend}

backend ${options.backend}
  http-request set-header x-gantry-user %[req.cook(gantry_user)] if !{ req.hdr(x-gantry-user) -m found } { req.cook(gantry_user) -m found }
  use-server canary if { req.hdr(x-gantry-canary) -i -m str always }
  use-server canary if { req.hdr(x-gantry-user) -f ${options.allowList} }
  balance hdr(x-gantry-user)
  hash-type consistent
  server stable 127.0.0.1:1 weight 100 disabled
  server canary 127.0.0.1:1 weight 0 disabled
${exporter}`;
}

export async function startHaproxy(options: HaproxyOptions = {}): Promise<RunningHaproxy> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-haproxy-'));
  const backend = options.backend ?? 'web_production';
  const allowList = path.join(dir, 'canary-users.lst');
  await writeFile(allowList, (options.canaryUsers ?? []).map((u) => `${u}\n`).join(''));
  let lastError: Error | undefined;
  // Another process can take the free port before HAProxy binds it; try a new one then.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await findFreePort();
    const socket = path.join(dir, `admin-${port}.sock`);
    const config = path.join(dir, `haproxy-${port}.cfg`);
    const metricsPort = options.prometheusExporter ? await findFreePort() : undefined;
    await writeFile(config, haproxyConfig({ port, socket, backend, allowList, metricsPort, socketMode: options.socketMode }));
    try {
      const running = await launch({ dir, port, socket, config, backend });
      return metricsPort ? { ...running, metricsHost: `127.0.0.1:${metricsPort}` } : running;
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use|cannot bind/i.test(lastError.message)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('haproxy did not start');
}

async function launch(where: { dir: string; port: number; socket: string; config: string; backend: string }): Promise<RunningHaproxy> {
  const binary = process.env.HAPROXY_BIN || 'haproxy';
  const logFile = path.join(where.dir, `haproxy-${where.port}.log`);
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['-db', '-f', where.config], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? `${binary} not found: install the Debian package haproxy (apt-get install -y haproxy) or set HAPROXY_BIN` : err.message),
    );
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  let ended: string | undefined;
  void exited.then((reason) => (ended = reason));

  const stop = async () => {
    if (ended === undefined) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(where.dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (ended !== undefined) {
      const output = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`haproxy ${ended} before it was ready:\n${output}`);
    }
    if ((await answersShowInfo(where.socket)) && (await accepts(where.port))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not answer on ${where.socket} and port ${where.port} within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(50);
  }
  return { url: `http://127.0.0.1:${where.port}`, socket: where.socket, backend: where.backend, pid: child.pid as number, config: where.config, stop };
}

/**
 * Whether the stats socket answers, asked directly rather than through the provider's
 * runtime API, which refuses a socket with loose permissions (and some tests start one).
 */
function answersShowInfo(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const connection = net.createConnection(socket);
    connection.setTimeout(1_000, () => connection.destroy());
    connection.on('connect', () => connection.write('show info\n'));
    connection.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    connection.on('end', () => resolve(/^Name:/m.test(answer)));
    connection.on('error', () => resolve(false));
    connection.on('close', () => resolve(/^Name:/m.test(answer)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

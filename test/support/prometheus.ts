import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../../src/providers/process/free-port';
import { probeHttp } from '../../src/providers/process/http-probe';

/**
 * A real Prometheus server for tests: the `prometheus` binary (Debian package
 * `prometheus`, installed by .ci/run; `PROMETHEUS_BIN` overrides the path) on a free
 * loopback port, with its config and TSDB in a temp dir, scraping the given targets
 * every second. It is ready in well under a second.
 */

export interface RunningPrometheus {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` targets, scraped at `/metrics`. */
  targets: string[];
  /**
   * A file holding the bearer token the targets ask for (an embedded router's admin
   * token file); Prometheus reads it at every scrape, so a router started again with a
   * new token is still scraped.
   */
  bearerTokenFile?: string;
  scrapeIntervalMs?: number;
}

const READY_TIMEOUT_MS = 15_000;

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-prometheus-'));
  const interval = `${options.scrapeIntervalMs ?? 1_000}ms`;
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'gantry-router',
        static_configs: [{ targets: options.targets }],
        ...(options.bearerTokenFile ? { authorization: { type: 'Bearer', credentials_file: options.bearerTokenFile } } : {}),
      },
    ],
  };
  await writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));

  // Another process can take the free port before Prometheus binds it; try a new one then.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await findFreePort();
    try {
      return await launch(dir, port);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/.test(lastError.message)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('prometheus did not start');
}

async function launch(dir: string, port: number): Promise<RunningPrometheus> {
  const binary = process.env.PROMETHEUS_BIN || 'prometheus';
  const logFile = path.join(dir, `prometheus-${port}.log`);
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(
      binary,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, `data-${port}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Nothing outlives the test, so no retention worth computing or lock worth taking.
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
  } finally {
    closeSync(log);
  }

  const exited = new Promise<string>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? `${binary} is not installed: apt-get install prometheus (.ci/run installs it), or set PROMETHEUS_BIN` : err.message),
    );
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  let exitReason: string | undefined;
  void exited.then((reason) => (exitReason = reason));

  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (exitReason === undefined) {
      child.kill('SIGTERM');
      // Aborted once it exits, so no timer keeps jest waiting after the tests.
      const grace = new AbortController();
      const killed = await Promise.race([exited.then(() => true), sleep(5_000, false, { signal: grace.signal }).catch(() => false)]);
      grace.abort();
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitReason !== undefined) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
      throw new Error(`prometheus on port ${port} ${exitReason} before it was ready:\n${tail}`);
    }
    if ((await probeHttp(`${url}/-/ready`, 500)).ok) return { url, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`prometheus on port ${port} was not ready within ${READY_TIMEOUT_MS} ms`);
}

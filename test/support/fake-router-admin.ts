import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterStats } from '../../src/contracts/router-protocol';
import { RouterMetrics, type CodeClass } from '../../src/router/router-metrics';

/**
 * A stand-in for the embedded router's admin port, for the metrics providers' tests: it
 * serves `GET /metrics` through the router's own {@link RouterMetrics} (so the exposition
 * is exactly the router's) and `GET /stats?windowMs=N` in the router's JSON shape, both
 * from the requests the test records or drives through it, without a proxy in between.
 */

export type { CodeClass };

export interface TrafficProfile {
  version: string;
  /** Code classes of consecutive requests, repeated; see {@link codeMix}. */
  codes: CodeClass[];
  /** Every request takes this long, give or take 5 %. */
  latencyMs: number;
}

/** `codeMix({ '2xx': 18, '5xx': 1, error: 1 })`: 20 requests, 10 % of them errors. */
export function codeMix(counts: Partial<Record<CodeClass, number>>): CodeClass[] {
  return Object.entries(counts).flatMap(([code, n]) => Array<CodeClass>(n ?? 0).fill(code as CodeClass));
}

interface Observation {
  at: number;
  version: string;
  code: CodeClass;
  seconds: number;
}

/** How long /stats remembers requests; longer than any window a test asks for. */
const MEMORY_MS = 5 * 60_000;

export class FakeRouterAdmin {
  /** Replaces the /stats answer when set (an error status, a malformed body, …). */
  statsOverride?: { status: number; body: string };
  /** /stats never answers while true: a router that hangs. */
  hangStats = false;
  /** The windowMs of the last /stats request. */
  lastWindowMs?: number;

  private readonly metrics: RouterMetrics;
  private observations: Observation[] = [];
  private driver?: NodeJS.Timeout;
  private readonly sequence = new Map<string, number>();

  private constructor(
    readonly service: string,
    readonly environment: string,
    private readonly server: http.Server,
  ) {
    this.metrics = new RouterMetrics(service, environment);
    server.on('request', (req, res) => void this.handle(req, res));
  }

  static async start(service = 'web', environment = 'production'): Promise<FakeRouterAdmin> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new FakeRouterAdmin(service, environment, server);
  }

  /** `127.0.0.1:PORT`, what a Prometheus scrape config names. */
  get hostPort(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get url(): string {
    return `http://${this.hostPort}`;
  }

  record(version: string, code: CodeClass, seconds: number): void {
    this.metrics.record(version, code, seconds);
    this.observations.push({ at: Date.now(), version, code, seconds });
  }

  /** Records `perTick` requests of every profile each `tickMs` until {@link stopTraffic}. */
  driveTraffic(profiles: TrafficProfile[], perTick = 4, tickMs = 25): void {
    this.stopTraffic();
    const tick = (): void => {
      for (const profile of profiles) {
        for (let i = 0; i < perTick; i += 1) {
          const n = this.sequence.get(profile.version) ?? 0;
          this.sequence.set(profile.version, n + 1);
          const jitter = 1 + (Math.random() - 0.5) * 0.1;
          this.record(profile.version, profile.codes[n % profile.codes.length], (profile.latencyMs * jitter) / 1000);
        }
      }
    };
    tick();
    this.driver = setInterval(tick, tickMs);
  }

  stopTraffic(): void {
    if (this.driver) clearInterval(this.driver);
    this.driver = undefined;
  }

  async close(): Promise<void> {
    this.stopTraffic();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.contentType }).end(await this.metrics.exposition());
    } else if (url.pathname === '/stats') {
      if (this.hangStats) return;
      const windowMs = Number(url.searchParams.get('windowMs'));
      this.lastWindowMs = windowMs;
      if (this.statsOverride) {
        res.writeHead(this.statsOverride.status, { 'content-type': 'application/json' }).end(this.statsOverride.body);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.stats(windowMs)));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${url.pathname} here\n`);
    }
  }

  private stats(windowMs: number): RouterStats {
    const now = Date.now();
    this.observations = this.observations.filter((o) => o.at > now - MEMORY_MS);
    const versions: RouterStats['versions'] = {};
    for (const version of new Set(this.observations.map((o) => o.version))) {
      const inWindow = this.observations.filter((o) => o.version === version && o.at > now - windowMs);
      const sorted = inWindow.map((o) => o.seconds * 1000).sort((a, b) => a - b);
      versions[version] = {
        requests: inWindow.length,
        errors: inWindow.filter((o) => o.code === '5xx' || o.code === 'error').length,
        latencyMs: sorted.length === 0 ? {} : { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
      };
    }
    return { windowMs, versions };
  }
}

/** Nearest-rank percentile of sorted, non-empty values. */
function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type pino from 'pino';
import type { RouterStats } from '../contracts/router-protocol';
import type { RoutingPolicy } from './choose-route';
import { isToPrimary } from './cluster-messages';
import type { PolicyMessage, ToPrimary } from './cluster-messages';
import { summarizeWindow } from './rolling-stats';
import type { WindowCounts } from './rolling-stats';
import type { RouterSettings } from './router-settings';

/** A worker that neither acknowledges a table nor sends its counts within this long is broken. */
const ANSWER_TIMEOUT_MS = 5_000;
/** A worker that dies this soon after the last replacement is not replaced again at once. */
const RESPAWN_BACKOFF_MS = 1_000;

/** The public port was taken, so no worker could listen. */
export class WorkersCouldNotListenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkersCouldNotListenError';
  }
}

/**
 * The processes that serve the router's public port, seen from the primary: Node's
 * cluster shares the one listening socket among them, so the router uses every core as
 * HAProxy's threads do. The primary keeps the only copy of the table that matters (the
 * state file) and pushes it to every worker; a new table counts as in force once every
 * worker has acknowledged it. Stats and Prometheus metrics are gathered from all workers
 * and merged on request. A worker that dies is replaced and given the current table.
 */
export class RouterWorkers {
  private readonly live = new Set<Worker>();
  /** Questions sent to one worker (`<worker id>/<key>`), settled by its answer, or by nothing if it exits first. */
  private readonly waiting = new Map<string, (answer: ToPrimary | undefined) => void>();
  private readonly metricsRegistry = new AggregatorRegistry();
  private policy: RoutingPolicy;
  private seq = 0;
  private nextRequest = 0;
  private stopping = false;
  private lastRespawn = 0;

  private constructor(
    private readonly settings: RouterSettings,
    private readonly log: pino.Logger,
    initial: RoutingPolicy,
  ) {
    this.policy = initial;
  }

  /** Forks the workers and resolves with the public port once every one of them listens. */
  static async start(settings: RouterSettings, log: pino.Logger, initial: RoutingPolicy): Promise<{ workers: RouterWorkers; port: number }> {
    const workers = new RouterWorkers(settings, log, initial);
    try {
      const ports = await Promise.all(Array.from({ length: settings.workers }, () => workers.fork()));
      return { workers, port: ports[0] as number };
    } catch (err) {
      await workers.stop(0);
      throw err;
    }
  }

  get count(): number {
    return this.live.size;
  }

  /** Sends the table to every worker; resolves once each routes by it. */
  async publish(policy: RoutingPolicy): Promise<void> {
    this.policy = policy;
    const message = this.policyMessage();
    await Promise.all([...this.live].map((worker) => this.ask(worker, message, `applied:${message.seq}`)));
  }

  /** Requests, errors and latency percentiles over all workers for the window that ends now. */
  async stats(windowMs: number): Promise<RouterStats> {
    const id = this.nextRequest++;
    const answers = await Promise.all([...this.live].map((worker) => this.ask(worker, { gantry: 'countsRequest', id, windowMs }, `counts:${id}`)));
    const parts: WindowCounts[] = answers.map((answer) => (answer?.gantry === 'counts' ? answer.counts : {}));
    return summarizeWindow(windowMs, parts);
  }

  /** The Prometheus exposition of every worker's metrics, summed (prom-client's cluster aggregation). */
  async metrics(): Promise<{ text: string; contentType: string }> {
    return { text: await this.metricsRegistry.clusterMetrics(), contentType: this.metricsRegistry.contentType };
  }

  /** Asks every worker to drain and waits for them to exit; those still running after `graceMs` + 1 s are killed. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.live].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + 1_000);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  private fork(): Promise<number> {
    const worker = cluster.fork();
    this.live.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isToPrimary(message)) return;
      const key = message.gantry === 'applied' ? `applied:${message.seq}` : message.gantry === 'counts' ? `counts:${message.id}` : undefined;
      if (key) this.answer(worker, key, message);
    });
    const listening = new Promise<number>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (!isToPrimary(message)) return;
        if (message.gantry === 'listening') {
          worker.off('message', onMessage);
          resolve(message.port);
        } else if (message.gantry === 'listenFailed') {
          worker.off('message', onMessage);
          reject(new WorkersCouldNotListenError(message.code, `the public port ${this.settings.publicPort} could not be bound: ${message.message}`));
        }
      };
      worker.on('message', onMessage);
      worker.once('exit', (code, signal) => reject(new Error(`a router worker exited with ${signal ?? `code ${code}`} before it listened`)));
    });
    worker.once('exit', (code, signal) => this.onExit(worker, code, signal));
    worker.send(this.policyMessage());
    return listening;
  }

  private onExit(worker: Worker, code: number, signal: string | null): void {
    this.live.delete(worker);
    for (const [key, settle] of this.waiting) {
      // A worker that is gone will not answer: its traffic went with it, and its
      // replacement is given the current table when it starts.
      if (key.startsWith(`${worker.id}/`)) {
        this.waiting.delete(key);
        settle(undefined);
      }
    }
    if (this.stopping) return;
    this.log.error(`router worker ${worker.process.pid} exited with ${signal ?? `code ${code}`}; starting another`);
    const wait = Math.max(0, this.lastRespawn + RESPAWN_BACKOFF_MS - Date.now());
    this.lastRespawn = Date.now() + wait;
    setTimeout(() => {
      if (!this.stopping) this.fork().catch((err: unknown) => this.log.error({ err }, 'the replacement router worker did not start'));
    }, wait).unref();
  }

  private policyMessage(): PolicyMessage {
    return { gantry: 'policy', seq: ++this.seq, routes: this.policy.routes, canaryUsers: [...this.policy.canaryUsers] };
  }

  /** Sends one message to one worker and waits for its answer under `key`; undefined if the worker exits first. */
  private ask(worker: Worker, message: object, key: string): Promise<ToPrimary | undefined> {
    return new Promise((resolve, reject) => {
      const fullKey = `${worker.id}/${key}`;
      const timer = setTimeout(() => {
        this.waiting.delete(fullKey);
        reject(new Error(`router worker ${worker.process.pid} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(fullKey, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      worker.send(message);
    });
  }

  private answer(worker: Worker, key: string, message: ToPrimary): void {
    const fullKey = `${worker.id}/${key}`;
    const settle = this.waiting.get(fullKey);
    if (!settle) return;
    this.waiting.delete(fullKey);
    settle(message);
  }
}

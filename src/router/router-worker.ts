import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AggregatorRegistry } from 'prom-client';
import type pino from 'pino';
import { BackendPools } from './backend-pools';
import type { RoutingPolicy } from './choose-route';
import { isToWorker } from './cluster-messages';
import type { PolicyMessage, ToPrimary } from './cluster-messages';
import { createPublicProxy } from './public-proxy';
import { RollingStats } from './rolling-stats';
import { RouterMetrics } from './router-metrics';
import type { RouterSettings } from './router-settings';

const DRAIN_POLL_MS = 25;

/**
 * One process serving public traffic. It routes by the table the primary sends it and
 * listens only once it has one, so that it never answers by an outdated table; it keeps
 * its own stats and metrics, which the primary gathers from every worker when asked.
 * SIGTERM drains it: no new connections, requests in flight finish (up to `graceMs`).
 */
export function runRouterWorker(settings: RouterSettings, log: pino.Logger, graceMs: number): void {
  const holder: { policy: RoutingPolicy } = { policy: { routes: [], canaryUsers: new Set() } };
  const stats = new RollingStats();
  const metrics = new RouterMetrics(settings.service, settings.environment);
  // prom-client answers the primary's metrics requests with these registries' contents.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  const pools = new BackendPools();
  const server = createPublicProxy({ service: settings.service, environment: settings.environment, state: holder, stats, metrics, pools, log });
  let listening = false;

  const send = (message: ToPrimary) => process.send?.(message);
  const apply = (message: PolicyMessage) => {
    holder.policy = { routes: message.routes, canaryUsers: new Set(message.canaryUsers) };
    pools.retainOnly(new Set(message.routes.map((route) => new URL(route.url).origin)));
    send({ gantry: 'applied', seq: message.seq });
    if (!listening) listen();
  };
  const listen = () => {
    listening = true;
    server.once('error', (err: NodeJS.ErrnoException) => {
      send({ gantry: 'listenFailed', code: err.code ?? 'UNKNOWN', message: err.message });
      process.exit(1);
    });
    server.listen(settings.publicPort, settings.host, () => {
      const address = server.address();
      send({ gantry: 'listening', port: typeof address === 'object' && address ? address.port : settings.publicPort });
    });
  };

  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    if (message.gantry === 'policy') apply(message);
    else send({ gantry: 'counts', id: message.id, counts: stats.counts(message.windowMs) });
  });
  // A process-group signal reaches the workers and the primary at once, and the primary
  // then asks again: handled (not `once`), so the second one does not cut the drain short.
  let draining = false;
  const stop = () => {
    if (draining) return;
    draining = true;
    void drain(server, graceMs).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function drain(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = Date.now() + graceMs;
  while ((await connectionCount(server)) > 0 && Date.now() < deadline) {
    await sleep(DRAIN_POLL_MS);
    // Keep-alive connections become idle once their request is answered; close them as they do.
    server.closeIdleConnections();
  }
  server.closeAllConnections();
  await closed;
}

function connectionCount(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
}

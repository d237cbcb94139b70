import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type pino from 'pino';
import { createAdminServer } from './admin-server';
import { createPublicProxy } from './public-proxy';
import { RollingStats } from './rolling-stats';
import { RouterMetrics } from './router-metrics';
import type { RouterSettings } from './router-settings';
import { RouterState } from './router-state';

export interface RunningRouter {
  publicUrl: string;
  adminUrl: string;
  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`), then
   * closes whatever is left.
   */
  close(graceMs: number): Promise<void>;
}

/** A port was taken between whoever chose it and this bind. */
export class PortTakenError extends Error {
  constructor(which: string, port: number) {
    super(`the ${which} port ${port} is already in use`);
    this.name = 'PortTakenError';
  }
}

const DRAIN_POLL_MS = 25;

/** Loads the saved routes and starts the public proxy and the admin API. */
export async function startRouter(settings: RouterSettings, log: pino.Logger): Promise<RunningRouter> {
  const state = await RouterState.load(settings.stateFile);
  const stats = new RollingStats();
  const metrics = new RouterMetrics(settings.service, settings.environment);
  const deps = { service: settings.service, environment: settings.environment, state, stats, metrics, log };

  const publicServer = createPublicProxy(deps);
  const adminServer = createAdminServer(deps);
  const publicPort = await listen(publicServer, settings.host, settings.publicPort, 'public');
  let adminPort: number;
  try {
    adminPort = await listen(adminServer, settings.host, settings.adminPort, 'admin');
  } catch (err) {
    publicServer.close();
    throw err;
  }
  const hostInUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    publicUrl: `http://${hostInUrl}:${publicPort}`,
    adminUrl: `http://${hostInUrl}:${adminPort}`,
    async close(graceMs) {
      const closed = Promise.all([closeServer(publicServer), closeServer(adminServer)]);
      publicServer.closeIdleConnections();
      adminServer.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while ((await connectionCount(publicServer)) > 0 && Date.now() < deadline) {
        await sleep(DRAIN_POLL_MS);
        // Keep-alive connections become idle once their request is answered; close them as they do.
        publicServer.closeIdleConnections();
      }
      publicServer.closeAllConnections();
      adminServer.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: http.Server, host: string, port: number, which: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortTakenError(which, port) : err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function connectionCount(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
}

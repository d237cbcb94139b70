import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { ADMIN_HOST } from '../contracts/router-protocol';
import { createAdminServer } from './admin-server';
import { AdminToken } from './admin-token';
import type { RouterSettings } from './router-settings';
import { RouterState } from './router-state';
import { RouterWorkers, WorkersCouldNotListenError } from './router-workers';

export interface RunningRouter {
  publicUrl: string;
  adminUrl: string;
  /**
   * Stops the admin API and drains the workers: no new connections, requests in flight
   * finish (up to `graceMs`), then whatever is left is closed.
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

/**
 * The router's primary process: reads its admin token, loads the saved routes, starts
 * the workers that serve the public port (see {@link RouterWorkers}), then the admin
 * API on {@link ADMIN_HOST}, apart from the public address even when that is every
 * interface. Healthy only once every worker listens, so a provider that sees `/healthz`
 * answer can send traffic.
 */
export async function startRouter(settings: RouterSettings, log: pino.Logger): Promise<RunningRouter> {
  // First: a router whose admin API could not be locked must not serve at all.
  const token = await AdminToken.load(settings.adminTokenFile);
  const state = await RouterState.load(settings.stateFile);
  let started: { workers: RouterWorkers; port: number };
  try {
    started = await RouterWorkers.start(settings, log, state.policy);
  } catch (err) {
    if (err instanceof WorkersCouldNotListenError && err.code === 'EADDRINUSE') throw new PortTakenError('public', settings.publicPort);
    throw err;
  }
  const { workers } = started;
  const adminServer = createAdminServer({ service: settings.service, environment: settings.environment, state, traffic: workers, token, log });
  let adminPort: number;
  try {
    adminPort = await listen(adminServer, ADMIN_HOST, settings.adminPort, 'admin');
  } catch (err) {
    await workers.stop(0);
    throw err;
  }
  const hostInUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    publicUrl: `http://${hostInUrl}:${started.port}`,
    adminUrl: `http://${ADMIN_HOST}:${adminPort}`,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => adminServer.close(() => resolve()));
      adminServer.closeAllConnections();
      await workers.stop(graceMs);
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


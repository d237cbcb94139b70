import cluster from 'node:cluster';
import pino from 'pino';
import { ROUTER_EXIT } from '../contracts/router-protocol';
import { routerSettings } from './router-settings';
import type { RouterSettings } from './router-settings';
import { AdminTokenError } from './admin-token';
import { UnusableStateError } from './router-state';
import { runRouterWorker } from './router-worker';
import { PortTakenError, startRouter } from './start-router';
import type { RunningRouter } from './start-router';

/**
 * `node dist/router/main.js --service web --environment production --public-port 8080
 * --admin-port 8081 --state-file routes.json --admin-token-file admin-token`: the
 * embedded router for one service environment, as a long-lived process of its own (its
 * provider starts it detached, so it keeps serving while workers come and go). The
 * process it starts is the primary (route table, admin API on loopback, which answers
 * only requests carrying the token in the 0600 token file); it forks `--workers`
 * processes that serve the public port.
 * SIGTERM or SIGINT drain it: no new connections, requests in flight finish (up to
 * 4 s), then it exits.
 */

/** Below the 5 s a provider waits between SIGTERM and SIGKILL. */
const DRAIN_GRACE_MS = 4_000;

async function main(): Promise<void> {
  const log = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
  let settings: RouterSettings;
  try {
    settings = routerSettings(process.argv.slice(2), process.env);
  } catch (err) {
    log.fatal(err instanceof Error ? err.message : String(err));
    process.exitCode = ROUTER_EXIT.badSettings;
    return;
  }
  if (!cluster.isPrimary) {
    runRouterWorker(settings, log, DRAIN_GRACE_MS);
    return;
  }
  const where = `${settings.service} in ${settings.environment}`;
  let router: RunningRouter;
  try {
    router = await startRouter(settings, log);
  } catch (err) {
    log.fatal({ err }, `router for ${where} could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode =
      err instanceof PortTakenError ? ROUTER_EXIT.portTaken : err instanceof UnusableStateError ? ROUTER_EXIT.badState : err instanceof AdminTokenError ? ROUTER_EXIT.badSettings : 1;
    return;
  }
  log.info({ publicUrl: router.publicUrl, adminUrl: router.adminUrl, stateFile: settings.stateFile, workers: settings.workers }, `router for ${where} serves ${router.publicUrl} with ${settings.workers} worker(s), admin API on ${router.adminUrl}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: draining`);
    router.close(DRAIN_GRACE_MS).then(
      () => log.info('stopped'),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();

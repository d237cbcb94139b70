import { Runtime } from '@temporalio/worker';
import type pino from 'pino';
import { PinoTemporalLogger } from './logger';

let installed = false;

/**
 * Installs the SDK runtime once per process, with SDK and workflow logs going through
 * pino. SIGINT/SIGTERM then shut workers down gracefully (in-flight tasks finish).
 */
export function installRuntimeOnce(logger: pino.Logger): void {
  if (installed) return;
  Runtime.install({ logger: new PinoTemporalLogger(logger) });
  installed = true;
}

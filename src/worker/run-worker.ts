import { NativeConnection } from '@temporalio/worker';
import type pino from 'pino';
import { DEFAULT_TASK_QUEUE } from '../shared/ids';
import { gantryHome } from '../providers/state-dir';
import type { ConnectionSettings } from './connection';
import { installRuntimeOnce } from './runtime';
import { createGantryWorker } from './worker';

export interface RunWorkerOptions {
  settings: ConnectionSettings;
  logger: pino.Logger;
  taskQueue?: string;
  home?: string;
  /** Stop when this settles; otherwise run until SIGINT/SIGTERM. */
  until?: Promise<unknown>;
}

/** Connects, runs the worker until shutdown (signal or `until`), and closes the connection. */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  installRuntimeOnce(options.logger);
  const taskQueue = options.taskQueue ?? process.env.GANTRY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const home = options.home ?? gantryHome();
  const connection = await NativeConnection.connect(options.settings.connectionOptions);
  try {
    const worker = await createGantryWorker({ connection, namespace: options.settings.namespace, taskQueue, home });
    options.logger.info(
      { address: options.settings.address, namespace: options.settings.namespace, taskQueue, home, tls: options.settings.tls },
      'gantry worker started',
    );
    if (options.until) await worker.runUntil(options.until);
    else await worker.run();
    options.logger.info('gantry worker stopped');
  } finally {
    await connection.close();
  }
}

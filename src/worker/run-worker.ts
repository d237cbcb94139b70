import { NativeConnection } from '@temporalio/worker';
import type pino from 'pino';
import { DEFAULT_TASK_QUEUE } from '../shared/ids';
import { gantryHome } from '../providers/state-dir';
import type { ConnectionSettings } from './connection';
import { installRuntimeOnce } from './runtime';
import { type CatalogueSpec, createGantryWorker, gitRepositoriesFor, platformCatalogueFor } from './worker';

export interface RunWorkerOptions {
  settings: ConnectionSettings;
  logger: pino.Logger;
  taskQueue?: string;
  home?: string;
  /** Stop when this settles; otherwise run until SIGINT/SIGTERM. */
  until?: Promise<unknown>;
  /** Where the platform's catalogue is kept; by default where GANTRY_CATALOGUE* say. */
  catalogue?: CatalogueSpec;
}

/** Connects, runs the worker until shutdown (signal or `until`), and closes the connection. */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  installRuntimeOnce(options.logger);
  const taskQueue = options.taskQueue ?? process.env.GANTRY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const home = options.home ?? gantryHome();
  const repositories = gitRepositoriesFor(home);
  // Loaded before the worker polls, so the log says at once whether the catalogue is good;
  // then watched for changes for as long as the worker runs.
  const catalogue = platformCatalogueFor(repositories, options.catalogue, {
    info: (meta, message) => options.logger.info(meta, message),
    warn: (meta, message) => options.logger.warn(meta, message),
    error: (meta, message) => options.logger.error(meta, message),
  });
  await catalogue.refresh();
  catalogue.start();
  const connection = await NativeConnection.connect(options.settings.connectionOptions);
  try {
    const worker = await createGantryWorker({ connection, namespace: options.settings.namespace, taskQueue, home, catalogue, repositories });
    options.logger.info(
      { address: options.settings.address, namespace: options.settings.namespace, taskQueue, home, tls: options.settings.tls },
      'gantry worker started',
    );
    if (options.until) await worker.runUntil(options.until);
    else await worker.run();
    options.logger.info('gantry worker stopped');
  } finally {
    catalogue.stop();
    await connection.close();
  }
}

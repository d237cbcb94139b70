import { NativeConnection } from '@temporalio/worker';
import type pino from 'pino';
import { DEFAULT_TASK_QUEUE } from '../shared/ids';
import { gantryHome } from '../providers/state-dir';
import type { ConnectionSettings } from './connection';
import { installRuntimeOnce } from './runtime';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { JsonLinesAuditSink } from '../providers/audit/json-lines-audit-sink';
import { LoggingAuditSink } from '../providers/audit/logging-audit-sink';
import { catalogueSourceFromEnv } from '../providers/catalogue/catalogue-settings';
import { FileNotInRepositoryError, UnknownRefError, type GitRepositories } from '../providers/source/git-repositories';
import { type CatalogueSpec, createGantryWorker, gitRepositoriesFor, platformCatalogueFor } from './worker';
import { workerHostFromEnv } from './worker-host';
import { sharedArtifactFolderFromEnv } from './artifact-store-setting';
import { WorkerSettingError } from './worker-host';
import { AuditSettingError, auditStoreFor } from '../providers/audit/audit-store-setting';
import type { AuditStore } from '../providers/audit/audit-store';
import { Client } from '@temporalio/client';
import { BoardReader } from '../board/read-board';
import { type BoardServer, startBoardServer } from '../board/board-server';
import { boardAddressFromEnv } from './board-setting';
import { type FlagServing, serveFlags } from '../flags/serve-flags';
import { flagSyncListen } from '../flags/flag-sync-setting';

/** The worker was told to load its catalogue from somewhere that does not exist: a setting to fix, not an outage to wait out. */
export class CatalogueLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueLocationError';
  }
}

/**
 * Refuses to start on a catalogue location that cannot exist (a wrong setting, a file
 * that is not there, a ref or path missing from the repository). Content that does not
 * validate, or a git server that does not answer, does not stop the worker: releases in
 * flight keep their snapshot, and new ones are refused with the reason until it is fixed.
 */
async function checkCatalogueLocation(spec: CatalogueSpec, repositories: GitRepositories): Promise<void> {
  if (spec.kind === 'file') {
    if (!existsSync(spec.file)) {
      throw new CatalogueLocationError(`the platform's catalogue ${spec.file} does not exist; set GANTRY_CATALOGUE to the catalogue file (or GANTRY_CATALOGUE_REPOSITORY to keep it in git)`);
    }
    return;
  }
  try {
    await repositories.readFile(spec.repository, spec.ref, spec.path);
  } catch (err) {
    if (err instanceof UnknownRefError) throw new CatalogueLocationError(`GANTRY_CATALOGUE_REF: ${err.message}`);
    if (err instanceof FileNotInRepositoryError) throw new CatalogueLocationError(`GANTRY_CATALOGUE_PATH: ${err.message}`);
    // Unreachable now is not wrong for ever: the worker starts and keeps trying.
  }
}

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
  // Settings that cannot work stop the worker before it connects (exit 2, naming the variable).
  const host = workerHostFromEnv();
  const sharedArtifacts = sharedArtifactFolderFromEnv();
  const auditStore = auditStoreFromEnv(home);
  const boardAddress = boardAddressFromEnv();
  // Checked before anything starts: a setting that cannot work stops the worker at once.
  try {
    flagSyncListen();
  } catch (err) {
    throw new WorkerSettingError((err as Error).message);
  }
  const repositories = gitRepositoriesFor(home);
  let spec: CatalogueSpec;
  try {
    spec = options.catalogue ?? catalogueSourceFromEnv(process.env, process.cwd());
  } catch (err) {
    throw new CatalogueLocationError((err as Error).message);
  }
  await checkCatalogueLocation(spec, repositories);
  // Loaded before the worker polls, so the log says at once whether the catalogue is good;
  // then watched for changes for as long as the worker runs.
  const catalogue = platformCatalogueFor(repositories, spec, {
    info: (meta, message) => options.logger.info(meta, message),
    warn: (meta, message) => options.logger.warn(meta, message),
    error: (meta, message) => options.logger.error(meta, message),
  });
  await catalogue.refresh();
  catalogue.start();
  const connection = await NativeConnection.connect(options.settings.connectionOptions);
  let board: BoardServer | undefined;
  let flags: FlagServing | undefined;
  try {
    const auditLog = process.env.GANTRY_AUDIT_LOG;
    const audit = auditLog
      ? new JsonLinesAuditSink(path.resolve(auditLog), (error) => options.logger.error({ error: error.message, file: auditLog }, 'could not append a decision to the audit log'))
      : new LoggingAuditSink({ info: (message, meta) => options.logger.info(meta, message) });
    const worker = await createGantryWorker({ connection, namespace: options.settings.namespace, taskQueue, home, catalogue, repositories, host, sharedArtifacts, audit, auditStore });
    options.logger.info(
      {
        address: options.settings.address,
        namespace: options.settings.namespace,
        taskQueue,
        host,
        hostTaskQueue: worker.hostTaskQueue,
        artifactStore: sharedArtifacts ?? 'local',
        home,
        tls: options.settings.tls,
        audit: auditLog ? path.resolve(auditLog) : 'log',
        auditStore: auditStore.describe,
      },
      'gantry worker started',
    );
    if (boardAddress) {
      const uiUrl = process.env.GANTRY_UI_URL;
      const reader = new BoardReader({
        client: new Client({ connection, namespace: options.settings.namespace }),
        taskQueue,
        ...(uiUrl ? { ui: { url: uiUrl, namespace: options.settings.namespace } } : {}),
      });
      board = await startBoardServer({
        ...boardAddress,
        intervalMs: BOARD_INTERVAL_MS,
        read: () => reader.read(),
        onReadError: (err) => options.logger.warn({ error: err.message }, 'could not read the release board'),
      }).catch((err: Error) => {
        throw new WorkerSettingError(`GANTRY_BOARD: cannot listen on ${boardAddress.host}:${boardAddress.port} (${err.message}); choose another port`);
      });
      options.logger.info({ url: board.url }, 'release board serving');
    }
    flags = await serveFlags({ log: (message) => options.logger.info(message) }).catch((err: Error) => {
      throw new WorkerSettingError(`GANTRY_FLAGS_SYNC: cannot serve the flag sync endpoint (${err.message}); choose another port`);
    });
    if (flags) options.logger.info({ address: flags.address }, 'flag sync serving (flagd.sync.v1)');
    if (options.until) await worker.runUntil(options.until);
    else await worker.run();
    options.logger.info('gantry worker stopped');
  } finally {
    await board?.close();
    await flags?.close();
    catalogue.stop();
    await auditStore.close().catch(() => undefined);
    await connection.close();
  }
}

/** How often the worker's board reads Temporal while somebody watches it. */
const BOARD_INTERVAL_MS = 1_000;

/** The audit store the settings name; a URL that cannot be a PostgreSQL URL stops the worker (exit 2). One that does not connect does not: releases wait for it. */
function auditStoreFromEnv(home: string): AuditStore {
  try {
    return auditStoreFor(home, process.env, { isolated: true });
  } catch (err) {
    if (err instanceof AuditSettingError) throw new WorkerSettingError(err.message);
    throw err;
  }
}

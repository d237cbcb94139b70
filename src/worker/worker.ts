import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { LocalProcessRuntime } from '../providers/runtime/local-process-runtime';
import { CommandRuntime } from '../providers/runtime/command-runtime';
import { TargetRuntime } from '../providers/runtime/target-runtime';
import { catalogueTargetOf } from '../providers/runtime/catalogue-target';
import type { RuntimeProvider } from '../providers/runtime/runtime';
import type { CommandTargetConfig } from '../config/service-catalogue';
import type { ArtifactStore } from '../providers/artifacts/artifact-store';
import { LocalArtifactStore } from '../providers/artifacts/local-artifact-store';
import { WORKER_TUNING } from './tuning';
import type { AuditSink } from '../providers/audit/audit-sink';
import { LoggingAuditSink } from '../providers/audit/logging-audit-sink';
import { auditSinks } from './audit-sinks';
import { FanOutAuditSink } from '../providers/audit/fan-out-audit-sink';
import { workerNotifier } from './notifier';
import type { MetricsSourceConfig, RouterConfig } from '../config/progressive-delivery';
import { createMetricsProvider } from '../providers/metrics/create-metrics-provider';
import { createRouterProvider } from '../providers/router/create-router-provider';
import { catalogueSourceFromEnv } from '../providers/catalogue/catalogue-settings';
import { fileCatalogueSource } from '../providers/catalogue/file-catalogue-source';
import { gitCatalogueSource } from '../providers/catalogue/git-catalogue-source';
import { type CatalogueLogger, PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { GitRepositories } from '../providers/source/git-repositories';
import { workerHost } from '../activities/placement';
import { artifactStoreFor, sharedArtifactFolderFromEnv } from './artifact-store-setting';
import { GantryWorker } from './gantry-worker';
import { workerHostFromEnv } from './worker-host';
import type { AuditStore } from '../providers/audit/audit-store';
import { auditStoreFor } from '../providers/audit/audit-store-setting';
import { StoreAuditSink } from '../providers/audit/store-audit-sink';

export interface GantryWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** State folder: artifacts and runtime bookkeeping live under it. */
  home: string;
  /** A prebuilt workflow bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * The platform's catalogue: one already held (to share it or poll it), or where to load
   * it from; by default where GANTRY_CATALOGUE* say (./gantry.yaml if unset).
   */
  catalogue?: PlatformCatalogue | CatalogueSpec;
  /** Shared with the catalogue when it is kept in git; one per worker otherwise. */
  repositories?: GitRepositories;
  /** This machine's host identity (default: GANTRY_WORKER_HOST, else the hostname). */
  host?: string;
  /** A folder every worker mounts that holds the artifacts (default: GANTRY_ARTIFACT_STORE; unset, `<home>/artifacts` serves one machine). */
  sharedArtifacts?: string;
  /** Where recorded decisions go; by default the worker's log. */
  audit?: AuditSink;
  /** Where recorded decisions are kept (default: GANTRY_AUDIT_DATABASE_URL, else PGlite under `home`). */
  auditStore?: AuditStore;
}

/** Where the catalogue is kept; `pollMs` only matters to a catalogue that polls. */
export type CatalogueSpec = ({ kind: 'file'; file: string } | { kind: 'git'; repository: string; ref: string; path: string }) & { pollMs?: number };

/** The SDK runtime's logger (pino in `gantry worker`), in the shape the catalogue logs with. */
function runtimeLogger(): CatalogueLogger {
  const logger = Runtime.instance().logger;
  return {
    info: (meta, message) => logger.info(message, meta as Record<string, unknown>),
    warn: (meta, message) => logger.warn(message, meta as Record<string, unknown>),
    error: (meta, message) => logger.error(message, meta as Record<string, unknown>),
  };
}

/** The repositories cache of a state folder: bare mirrors of each service's repository. */
export function gitRepositoriesFor(home: string): GitRepositories {
  return new GitRepositories({ cacheDir: path.join(home, 'git') });
}

/** Holds the catalogue `spec` names (default: the worker's environment), logging through `logger`. */
export function platformCatalogueFor(
  repositories: GitRepositories,
  spec: CatalogueSpec = catalogueSourceFromEnv(process.env, process.cwd()),
  logger: CatalogueLogger = runtimeLogger(),
): PlatformCatalogue {
  const source = spec.kind === 'file' ? fileCatalogueSource(spec.file) : gitCatalogueSource(repositories, spec);
  return new PlatformCatalogue(source, { logger, ...(spec.pollMs ? { pollMs: spec.pollMs } : {}) });
}

/** How long a worker that stops gracefully waits for notifications still being delivered. */
const NOTIFICATIONS_DRAIN_MS = 10_000;

/** The path workflows are bundled from (src/workflows in tests, dist/workflows when built). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** One provider per distinct configuration, reused across activities (they hold connections and caches). */
function memoiseByConfig<C, P>(create: (config: C) => P): (config: C) => P {
  const made = new Map<string, P>();
  return (config) => {
    const key = JSON.stringify(config);
    let provider = made.get(key);
    if (!provider) made.set(key, (provider = create(config)));
    return provider;
  };
}

/**
 * Runs each service environment on the target the catalogue names: local processes under
 * `<home>/runtime`, or the environment's own commands, run in workspaces under `<home>/targets`.
 */
function runtimeFor(home: string, artifacts: ArtifactStore, catalogue: PlatformCatalogue): RuntimeProvider {
  // unpack() leaves every artifact in this machine's own store (fetched from the shared one when there is one): that file is GANTRY_ARTIFACT.
  const localBlobs = new LocalArtifactStore(path.join(home, 'artifacts'));
  const commandRuntimeFor = memoiseByConfig(
    ({ target, catalogueDir }: { target: CommandTargetConfig; catalogueDir: string | undefined }) =>
      new CommandRuntime({ root: path.join(home, 'targets'), artifacts, target, catalogueDir, artifactFile: (artifact) => localBlobs.blobOf(artifact) }),
  );
  return new TargetRuntime({
    local: new LocalProcessRuntime({ root: path.join(home, 'runtime'), artifacts }),
    command: (target, catalogueDir) => commandRuntimeFor({ target, catalogueDir }),
    targetOf: catalogueTargetOf(catalogue),
  });
}

/**
 * A worker for Gantry's workflows and activities with the embedded default providers:
 * one SDK Worker on the shared task queue (workflows, and activities any machine can
 * run) and one on this host's own queue (activities that touch this machine's instances,
 * routers and checkouts, which workflows send there by name).
 */
export async function createGantryWorker(options: GantryWorkerOptions): Promise<GantryWorker> {
  const host = workerHost(options.host ?? workerHostFromEnv());
  const artifacts = artifactStoreFor(options.home, options.sharedArtifacts ?? sharedArtifactFolderFromEnv());
  const client = new Client({ connection: options.connection, namespace: options.namespace });
  const repositories = options.repositories ?? gitRepositoriesFor(options.home);
  const catalogue = options.catalogue instanceof PlatformCatalogue ? options.catalogue : platformCatalogueFor(repositories, options.catalogue);
  const runtime = runtimeFor(options.home, artifacts, catalogue);
  const auditStore = options.auditStore ?? auditStoreFor(options.home, process.env, { isolated: true });
  const activities = createActivities({
      artifacts,
      runtime,
      client,
      routerFor: memoiseByConfig((config: RouterConfig) => createRouterProvider(config, options.home)),
      metricsFor: memoiseByConfig((config: MetricsSourceConfig) => createMetricsProvider(config, options.home)),
      catalogue,
      repositories,
      workspacesRoot: path.join(options.home, 'workspaces'),
      host,
      audit: auditStore,
      reviewsRoot: path.join(options.home, 'reviews'),
  });
  const notifier = workerNotifier(catalogue, client, auditStore);
  const shared = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // Every decision goes to the log (or the test's sink) and to the notifier, which tells the service's webhooks of the ones they asked for;
    // the audit store gets the decisions no outbox delivers (refused updates).
    sinks: auditSinks(
      new FanOutAuditSink([
        options.audit ?? new LoggingAuditSink({ info: (message, meta) => Runtime.instance().logger.info(message, meta) }),
        notifier,
      ]),
      new StoreAuditSink(auditStore, (error, event) =>
        Runtime.instance().logger.warn('could not store a decision only the sink sees (a refused update)', { error: error.message, workflowId: event.workflowId, kind: event.kind }),
      ),
    ),
    ...WORKER_TUNING,
  });
  const hostQueue = host.queueOf(options.taskQueue);
  const local = await Worker.create({ connection: options.connection, namespace: options.namespace, taskQueue: hostQueue, activities, ...WORKER_TUNING });
  // A graceful stop gives notifications in flight a moment (a crash loses them: see WebhookNotifier);
  // a store this function opened is closed with the worker, one passed in belongs to the caller.
  return new GantryWorker(host.name, hostQueue, [shared, local], async () => {
    await notifier.drain(NOTIFICATIONS_DRAIN_MS);
    if (!options.auditStore) await auditStore.close();
  });
}

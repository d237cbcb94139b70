import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { LocalArtifactStore } from '../providers/artifacts/local-artifact-store';
import { LocalProcessRuntime } from '../providers/runtime/local-process-runtime';
import { WORKER_TUNING } from './tuning';
import type { MetricsSourceConfig, RouterConfig } from '../config/progressive-delivery';
import { createMetricsProvider } from '../providers/metrics/create-metrics-provider';
import { createRouterProvider } from '../providers/router/create-router-provider';

export interface GantryWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** State folder: artifacts and runtime bookkeeping live under it. */
  home: string;
  /** A prebuilt workflow bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

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

/** A worker for Gantry's workflows and activities with the embedded default providers. */
export async function createGantryWorker(options: GantryWorkerOptions): Promise<Worker> {
  const artifacts = new LocalArtifactStore(path.join(options.home, 'artifacts'));
  const runtime = new LocalProcessRuntime({ root: path.join(options.home, 'runtime'), artifacts });
  const client = new Client({ connection: options.connection, namespace: options.namespace });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({
      artifacts,
      runtime,
      client,
      routerFor: memoiseByConfig((config: RouterConfig) => createRouterProvider(config, options.home)),
      metricsFor: memoiseByConfig((config: MetricsSourceConfig) => createMetricsProvider(config, options.home)),
    }),
    ...WORKER_TUNING,
  });
}

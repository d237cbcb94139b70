import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { stopAllInstances } from '../../src/providers/runtime/local-process-runtime';
import { runtimeDir } from '../../src/providers/state-dir';
import { createGantryWorker } from '../../src/worker/worker';
import { embeddedAuditDir } from '../../src/providers/audit/audit-store-setting';
import { PgliteProcessDatabase } from '../../src/providers/audit/pglite-process-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import type { GantryWorker } from '../../src/worker/gantry-worker';
import { commandLines, type CommandLines } from './command-lines';
import { createE2EWorkspace } from './e2e-workspace';
import { gantryWorkflowBundle } from './time-skipping';
import { startWorkerProcess } from './worker-process';
import { serveFlags } from '../../src/flags/serve-flags';
import { FLAG_SYNC_VARIABLE } from '../../src/flags/flag-sync-setting';

export { temporalCli, type CommandResult } from './command-lines';


/**
 * One end-to-end workspace: a copy of the example service and catalogue in a temp
 * folder, a real worker on its own task queue against the shared dev server, and
 * runners for the real `gantry` and `temporal` command lines.
 */
export interface E2EStack extends CommandLines {
  dir: string;
  configFile: string;
  /** The example service's git repository, and the commit releases build unless a test commits more. */
  repository: string;
  commit: string;
  commitFiles(files: Record<string, string>, message: string): string;
  home: string;
  taskQueue: string;
  address: string;
  client: Client;
  env: NodeJS.ProcessEnv;
  /** host:port of the worker's flag sync endpoint (GANTRY_FLAGS_SYNC), when the stack was asked to serve flags. */
  flagsSync?: string;
  stop(): Promise<void>;
}

export function sharedServerAddress(): string {
  const address = process.env.GANTRY_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('GANTRY_TEST_TEMPORAL_ADDRESS is not set: run the e2e tests through jest (its globalSetup starts the dev server)');
  return address;
}

export async function startE2EStack(
  name: string,
  options: {
    editConfig?: (yaml: string) => string;
    flagsSync?: boolean;
    /**
     * Run the worker as its own `gantry worker` process (the compiled one), with this
     * process's environment, instead of inside jest's: for work jest's module sandbox
     * cannot host, such as the migration runner's ES-module import.
     */
    workerProcess?: boolean;
  } = {},
): Promise<E2EStack> {
  const address = sharedServerAddress();
  const { dir, configFile, home, taskQueue, env, repository, commit, commitFiles } = createE2EWorkspace(`e2e-${name}`, address, options);

  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  if (options.workerProcess) {
    const worker = startWorkerProcess({ env, client, cwd: dir, logFile: path.join(dir, 'worker.log') });
    await worker.polling();
    return {
      dir,
      configFile,
      repository,
      commit,
      commitFiles,
      home,
      taskQueue,
      address,
      client,
      env,
      ...commandLines(dir, env, address),
      async stop() {
        await worker.stop();
        await stopAllInstances(runtimeDir(home));
        await connection.close();
      },
    };
  }
  // As a worker process runs it: PGlite in a child process (the compiled one; e2e tests run
  // after the build). In jest's process it would stall the worker's event loop while it works.
  const auditStore = new SqlAuditStore(new PgliteProcessDatabase(embeddedAuditDir(home), { program: compiledPgliteChild() }));
  const worker: GantryWorker = await createGantryWorker({
    connection,
    namespace: 'default',
    taskQueue,
    home,
    catalogue: { kind: 'file', file: configFile },
    workflowBundle: await gantryWorkflowBundle(),
    auditStore,
  });
  const running = worker.run();
  // As `gantry worker` does with GANTRY_FLAGS_SYNC set: the flag store under its home, served on a free port.
  const flags = options.flagsSync ? await serveFlags({ env: { ...env, [FLAG_SYNC_VARIABLE]: '127.0.0.1:0' } }) : undefined;
  if (flags) env[FLAG_SYNC_VARIABLE] = flags.address;

  return {
    dir,
    configFile,
    repository,
    commit,
    commitFiles,
    home,
    taskQueue,
    address,
    client,
    env,
    ...(flags ? { flagsSync: flags.address } : {}),
    ...commandLines(dir, env, address),
    async stop() {
      await flags?.close();
      worker.shutdown();
      await running;
      await stopAllInstances(runtimeDir(home));
      await auditStore.close();
      await connection.close();
    },
  };
}

function compiledPgliteChild(): string {
  const program = path.resolve(__dirname, '../../dist/providers/audit/pglite-child.js');
  if (!existsSync(program)) throw new Error(`${program} is missing: run npm run build before the e2e tests`);
  return program;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/**
 * A catalogue edit for rollout tests: the example service under another name (each test
 * file its own, since deploy locks are per service), released without approval, with
 * the given production environment.
 */
export function exampleServiceAs(name: string, production: Record<string, unknown>): (yaml: string) => string {
  return (text) => {
    const doc = YAML.parse(text);
    const service = doc.services.web;
    delete doc.services.web;
    service.approval = { approvers: [], minApprovals: 0 };
    service.environments.production = production;
    doc.services[name] = service;
    return YAML.stringify(doc);
  };
}

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uniqueTaskQueue } from './time-skipping';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * The files and settings of one end-to-end stack: a copy of the examples (without
 * builds) in a temp folder, its catalogue, state folder and task queue, and the
 * environment the `gantry` CLI and worker processes run with.
 */
export interface E2EWorkspace {
  dir: string;
  configFile: string;
  home: string;
  taskQueue: string;
  env: NodeJS.ProcessEnv;
  /** Rewrites the catalogue from the examples' one. */
  writeCatalogue(edit: (yaml: string) => string): void;
}

export function createE2EWorkspace(prefix: string, address: string, options: { editConfig?: (yaml: string) => string; env?: NodeJS.ProcessEnv } = {}): E2EWorkspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), `gantry-${prefix}-`));
  cpSync(path.join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
  const configFile = path.join(dir, 'gantry.yaml');
  const originalCatalogue = readFileSync(configFile, 'utf8');
  const writeCatalogue = (edit: (yaml: string) => string) => writeFileSync(configFile, edit(originalCatalogue));
  if (options.editConfig) writeCatalogue(options.editConfig);
  const home = path.join(dir, '.gantry');
  const taskQueue = uniqueTaskQueue(prefix);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    GANTRY_TASK_QUEUE: taskQueue,
    GANTRY_CONFIG: configFile,
    GANTRY_HOME: home,
    ...options.env,
  };
  return { dir, configFile, home, taskQueue, env, writeCatalogue };
}

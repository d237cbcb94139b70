import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uniqueTaskQueue } from './time-skipping';

const REPO = path.resolve(__dirname, '..', '..');

/** Fixed identities and dates, so a commit of the same files has the same SHA in every run. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Alice Example',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_COMMITTER_NAME: 'Alice Example',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
  GIT_AUTHOR_DATE: '2026-11-30T12:00:00Z',
  GIT_COMMITTER_DATE: '2026-11-30T12:00:00Z',
};

/** Runs git in `dir` as the tests' fixed author; returns its trimmed output. */
export function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    env: { ...process.env, ...GIT_ENV, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Makes `dir` a git repository whose one commit holds its files; returns the commit. */
export function initRepository(dir: string): string {
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'The example service']);
  return git(dir, ['rev-parse', 'HEAD']);
}

/**
 * The files and settings of one end-to-end stack: a copy of the examples (without
 * builds) in a temp folder, the example service's folder made a git repository (the
 * catalogue names it as the services' repository), its catalogue, state folder and
 * task queue, and the environment the `gantry` CLI and worker processes run with.
 */
export interface E2EWorkspace {
  dir: string;
  configFile: string;
  home: string;
  taskQueue: string;
  env: NodeJS.ProcessEnv;
  /** The example service's repository. */
  repository: string;
  /** Its first commit: what releases build unless a test commits more. */
  commit: string;
  /** Rewrites the catalogue from the examples' one. */
  writeCatalogue(edit: (yaml: string) => string): void;
  /** Commits changed files (paths relative to the repository) and returns the new commit. */
  commitFiles(files: Record<string, string>, message: string): string;
}

export function createE2EWorkspace(prefix: string, address: string, options: { editConfig?: (yaml: string) => string; env?: NodeJS.ProcessEnv } = {}): E2EWorkspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), `gantry-${prefix}-`));
  cpSync(path.join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) && !src.includes(`${path.sep}node_modules`) });
  const repository = path.join(dir, 'web');
  const commit = initRepository(repository);
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
    GANTRY_CATALOGUE: configFile,
    GANTRY_HOME: home,
    ...options.env,
  };
  const commitFiles = (files: Record<string, string>, message: string) => {
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(repository, file), text);
    git(repository, ['add', '-A']);
    // A later date than the first commit's, so commit times order as commits do.
    git(repository, ['commit', '-q', '-m', message], { GIT_COMMITTER_DATE: new Date().toISOString(), GIT_AUTHOR_DATE: new Date().toISOString() });
    return git(repository, ['rev-parse', 'HEAD']);
  };
  return { dir, configFile, home, taskQueue, env, repository, commit, writeCatalogue, commitFiles };
}

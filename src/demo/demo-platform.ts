import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The demo's platform: the catalogue the worker enforces and the example service's repository. */
/** When the example's commit was made, for every run (its figures' lead times count from it). */
export const EXAMPLE_COMMIT_DATE = '2026-01-01T00:00:00Z';

export interface DemoPlatform {
  catalogueFile: string;
  /** The commit of the example service every demo release builds. */
  commit: string;
  /** The demo approver's SSH key (its public half is listed under signers: in the catalogue), to sign approvals. */
  approverKey: string;
  /** The example service's repository (the `web` folder of the platform). */
  repository: string;
  /**
   * Commits files (paths inside the repository → contents) on top of the last commit, as
   * alice, with the same fixed date: the same files give the same commit every run.
   */
  commitFiles(files: Record<string, string>, message: string): string;
}

/**
 * Lays out what a platform team would own, inside the demo's state folder: a copy of
 * `examples/` whose `web` folder is a git repository with one commit, and whose
 * catalogue names it. The worker builds that commit, never the files as they are on disk.
 */
export function prepareDemoPlatform(examplesDir: string, home: string): DemoPlatform {
  const dir = path.join(home, 'demo-platform');
  rmSync(dir, { recursive: true, force: true });
  cpSync(examplesDir, dir, {
    recursive: true,
    filter: (src) => !['dist', 'node_modules', '.git'].includes(path.basename(src)),
  });
  const repository = path.join(dir, 'web');
  // A fixed identity and date: the same example files give the same commit every run.
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Alice Example',
    GIT_AUTHOR_EMAIL: 'alice@example.com',
    GIT_COMMITTER_NAME: 'Alice Example',
    GIT_COMMITTER_EMAIL: 'alice@example.com',
    GIT_AUTHOR_DATE: EXAMPLE_COMMIT_DATE,
    GIT_COMMITTER_DATE: EXAMPLE_COMMIT_DATE,
  };
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd: repository, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'The example service');
  const catalogueFile = path.join(dir, 'gantry.yaml');
  const commitFiles = (files: Record<string, string>, message: string) => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repository, file)), { recursive: true });
      writeFileSync(path.join(repository, file), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  return { catalogueFile, commit: git('rev-parse', 'HEAD'), approverKey: listApproverKey(dir, catalogueFile, 'bob'), repository, commitFiles };
}

/**
 * Gives the demo approver an SSH key of their own and lists its public half for them in
 * the catalogue, as a platform team lists its people's keys: the demo signs approvals
 * with it, and ssh-keygen can check them.
 */
function listApproverKey(dir: string, catalogueFile: string, approver: string): string {
  const keys = path.join(dir, 'keys');
  mkdirSync(keys, { recursive: true });
  const key = path.join(keys, `${approver}_ed25519`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${approver}@demo`, '-f', key], { stdio: 'ignore' });
  const publicLine = readFileSync(`${key}.pub`, 'utf8').trim();
  const catalogue = readFileSync(catalogueFile, 'utf8').replace(/^version: 1\n/m, `version: 1\nsigners:\n  ${approver}: ["${publicLine}"]\n`);
  writeFileSync(catalogueFile, catalogue);
  return key;
}

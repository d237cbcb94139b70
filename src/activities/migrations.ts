import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { type ApplyMigrationsOptions, type MigrationRunResult, applyMigrations } from '../providers/migrations/migration-runner';
import { MigrationRunError, type MigrationRunErrorCode } from '../providers/migrations/migration-run-error';

export interface ApplyMigrationsInput {
  service: string;
  environment: string;
  /** The release's checkout (prepareWorkspace's `dir`). */
  workspaceDir: string;
  /** The migrations folder, relative to `workspaceDir` (e.g. `migrations`). */
  migrationsDir: string;
  /**
   * The name of the worker's environment variable that holds the database URL; by
   * default `GANTRY_DB_<SERVICE>_<ENVIRONMENT>` (upper case, other characters as `_`).
   * The URL itself never travels in a workflow's input or history.
   */
  databaseEnv?: string;
  /** Who approved the migrations, recorded with each one applied. */
  approvedBy: string;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export interface MigrationActivityDeps {
  /** The worker's environment, where database URLs are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** The runner (default: the node-pg-migrate one); tests of a workflow may wire another. */
  apply?: (options: ApplyMigrationsOptions) => Promise<MigrationRunResult>;
}

/**
 * The failure type per runner error. Only `unreachable` and `busy` are retried: a
 * database that comes back or a run that ends lets the same migrations through, while
 * the others need a person (nothing a retry changes).
 */
const FAILURE_TYPES: Record<MigrationRunErrorCode, { type: string; retryable: boolean }> = {
  'folder-invalid': { type: 'MigrationFolderInvalid', retryable: false },
  changed: { type: 'MigrationChanged', retryable: false },
  failed: { type: 'MigrationFailed', retryable: false },
  'login-refused': { type: 'MigrationDatabaseRefused', retryable: false },
  unreachable: { type: 'MigrationDatabaseUnreachable', retryable: true },
  busy: { type: 'MigrationBusy', retryable: true },
};

/** As heartbeatWhile's: often enough for any heartbeat timeout Gantry sets. */
const HEARTBEAT_INTERVAL_MS = 1_000;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `GANTRY_DB_<SERVICE>_<ENVIRONMENT>`: `checkout`, `eu-prod` → GANTRY_DB_CHECKOUT_EU_PROD. */
export function databaseEnvName(service: string, environment: string): string {
  const part = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `GANTRY_DB_${part(service)}_${part(environment)}`;
}

export function createMigrationActivities(deps: MigrationActivityDeps = {}) {
  const env = deps.env ?? process.env;
  const apply = deps.apply ?? applyMigrations;

  return {
    /**
     * Applies the service's migrations that the environment's database does not have
     * yet, heartbeating while they run. Idempotent: a retry applies only what the
     * attempt before it did not commit. Failures are ApplicationFailures whose type says
     * what happened (`MigrationFailed`, `MigrationChanged`, …) and whose details carry the
     * file, line, statement and the database's message.
     */
    async applyMigrations(input: ApplyMigrationsInput): Promise<MigrationRunResult> {
      const ctx = Context.current();
      const folder = migrationsFolder(input);
      const databaseUrl = databaseUrlOf(input, env);
      // Unlike heartbeatWhile, the details follow the run ("applying 0003_….sql"), so a
      // lost attempt says which migration it was in.
      let progress = `migrating ${input.service} in ${input.environment}`;
      const beat = () => ctx.heartbeat(progress);
      beat();
      const ticker = setInterval(beat, HEARTBEAT_INTERVAL_MS);
      try {
        return await apply({
          folder,
          databaseUrl,
          approvedBy: input.approvedBy,
          lockTimeoutMs: input.lockTimeoutMs,
          statementTimeoutMs: input.statementTimeoutMs,
          onProgress: (message) => {
            progress = message;
            beat();
          },
          signal: ctx.cancellationSignal,
        });
      } catch (err) {
        if (ctx.cancellationSignal.aborted) await ctx.cancelled;
        if (!(err instanceof MigrationRunError)) throw err;
        const { type, retryable } = FAILURE_TYPES[err.code];
        throw ApplicationFailure.create({
          type,
          nonRetryable: !retryable,
          message: `${input.service} in ${input.environment}: ${err.message}`,
          details: [err.details],
          cause: err,
        });
      } finally {
        clearInterval(ticker);
      }
    },
  };
}

/** The migrations folder inside the workspace; a path that leads out of it is refused. */
function migrationsFolder(input: ApplyMigrationsInput): string {
  const folder = path.resolve(input.workspaceDir, input.migrationsDir);
  const relative = path.relative(path.resolve(input.workspaceDir), folder);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw ApplicationFailure.create({
      type: 'MigrationFolderInvalid',
      nonRetryable: true,
      message: `migrationsDir ${JSON.stringify(input.migrationsDir)} of ${input.service} leads out of its workspace: give a folder inside the repository`,
    });
  }
  return folder;
}

function databaseUrlOf(input: ApplyMigrationsInput, env: NodeJS.ProcessEnv): string {
  const name = input.databaseEnv ?? databaseEnvName(input.service, input.environment);
  if (!ENV_NAME.test(name)) {
    throw ApplicationFailure.create({
      type: 'MigrationDatabaseUnset',
      nonRetryable: true,
      message: `databaseEnv ${JSON.stringify(name)} is not an environment variable name (letters, digits and _): name the variable that holds the URL, never the URL`,
    });
  }
  const url = env[name];
  if (!url) {
    throw ApplicationFailure.create({
      type: 'MigrationDatabaseUnset',
      nonRetryable: true,
      message: `the worker has no ${name}: set it to the postgres:// URL of ${input.service}'s database in ${input.environment} and restart the worker`,
    });
  }
  return url;
}

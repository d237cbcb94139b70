import { z } from 'zod';
import { durationField } from './duration';

/**
 * A service's database migrations and where each environment's database is found. The
 * database URL itself is never written here nor sent through a workflow: the worker
 * reads it from its own environment, from the variable an environment names (or
 * GANTRY_DB_<SERVICE>_<ENVIRONMENT> by default), so credentials stay with the platform.
 */

/** The folder a service keeps its migrations in, relative to the service's directory. */
export const MigrationsSchema = z
  .strictObject({
    directory: z
      .string()
      .trim()
      .min(1, 'name the folder that holds the migrations, e.g. migrations')
      .refine((directory) => !directory.startsWith('/') && !directory.split('/').includes('..'), {
        message: "must be a folder inside the service's directory (no leading / and no ..), e.g. migrations",
      })
      .refine((directory) => directory.split('/').some((part) => part !== '' && part !== '.'), {
        message: "must be a folder of its own, not the service's directory itself, e.g. migrations",
      })
      .describe("Folder of <number>_<name>.sql migrations, relative to the service's directory, e.g. migrations. A release whose commit changes only this folder is a schema release; one that changes it and other files is refused."),
    lockTimeout: durationField('5s').prefault('5s').describe('How long a migration statement may wait for a lock before its migration fails (default 5s).'),
    statementTimeout: durationField('1m').prefault('1m').describe('How long one migration statement may run before its migration fails (default 1m).'),
    rollbackWindow: durationField('24h')
      .prefault('24h')
      .describe(
        'How long a version must have run in every environment before a contract step (a migration marked `-- gantry:contract after=<version>`) may remove what older versions read: until then a rollback to the version before may still happen (default 24h).',
      ),
  })
  .describe("The service's database migrations: applied by schema releases, environment by environment, before the code that uses them.");

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Per environment: the worker's environment variable that holds the database URL. */
export const DatabaseSchema = z
  .strictObject({
    env: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name (letters, digits and _), e.g. SHOP_STAGING_DATABASE_URL; never the URL itself')
      .refine((name) => !name.startsWith('TEMPORAL_'), "TEMPORAL_ variables are the worker's Temporal settings; name another variable")
      .describe("The worker's environment variable that holds this environment's postgres:// URL (default GANTRY_DB_<SERVICE>_<ENVIRONMENT>)."),
  })
  .describe("Where the worker finds this environment's database for the service's migrations.");

export type MigrationsConfig = z.output<typeof MigrationsSchema>;
export type DatabaseConfig = z.output<typeof DatabaseSchema>;

/** The folder inside the repository: the service's directory joined with its migrations folder (`.` + `db/migrations` → `db/migrations`). */
export function migrationsFolderInRepository(serviceDirectory: string, migrationsDirectory: string): string {
  const parts = [...serviceDirectory.split('/'), ...migrationsDirectory.split('/')].filter((part) => part !== '' && part !== '.');
  return parts.join('/');
}

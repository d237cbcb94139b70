import { rmSync } from 'node:fs';
import path from 'node:path';
import { databaseEnvName } from '../activities/migrations';
import { servePgliteFolder } from '../providers/migrations/serve-pglite';

/** One environment's database as the demo serves it, and the worker variable that names it. */
export interface DemoDatabase {
  environment: string;
  /** GANTRY_DB_<SERVICE>_<ENVIRONMENT>, where the worker reads the URL. */
  variable: string;
  url: string;
  dataDir: string;
}

export interface DemoDatabases {
  service: string;
  databases: DemoDatabase[];
  /** Stops serving them and takes their variables back out of the environment. */
  close(): Promise<void>;
}

/**
 * A database server per environment of the demo's service with migrations, with no
 * server installed: PGlite folders under `<home>/demo-databases`, each served on loopback
 * over PostgreSQL's wire protocol, and their URLs put where a platform team puts them:
 * the worker's environment (`GANTRY_DB_<SERVICE>_<ENVIRONMENT>`). The worker runs in this
 * process and reads `process.env` when it admits a release or applies its migrations, so
 * this must run before it does.
 *
 * `fresh`: nothing of the service was ever released on this state folder, so its
 * databases start empty too (the folders of an earlier state would hold migrations no
 * release of this history applied).
 */
export async function serveDemoDatabases(home: string, service: string, environments: readonly string[], options: { fresh: boolean }): Promise<DemoDatabases> {
  const root = path.join(home, 'demo-databases');
  if (options.fresh) rmSync(root, { recursive: true, force: true });
  const served = await Promise.allSettled(environments.map((environment) => servePgliteFolder(path.join(root, `${service}-${environment}`))));
  const opened = served.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = served.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map((db) => db.close()));
    throw failed.reason;
  }
  // Nothing failed, so `opened` holds every environment's server, in their order.
  const databases = opened.map((db, i) => {
    const environment = environments[i];
    const variable = databaseEnvName(service, environment);
    process.env[variable] = db.url;
    return { environment, variable, url: db.url, dataDir: db.dataDir };
  });
  return {
    service,
    databases,
    async close() {
      for (const { variable } of databases) delete process.env[variable];
      await Promise.all(opened.map((db) => db.close()));
    },
  };
}

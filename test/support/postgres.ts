import { execFile } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findFreePort } from '../../src/providers/process/free-port';

const run = promisify(execFile);

/**
 * A throw-away PostgreSQL for tests: Debian's `postgresql` package (installed by
 * .ci/run; `PG_BIN` names another bin folder), a cluster initialised in a temp folder
 * outside the repository, listening on a free loopback port, trusting local
 * connections as the user `gantry`. PostgreSQL refuses to run as root, so as root the
 * cluster runs as the `postgres` user the package creates. Initialising and starting
 * take about half a second. `GANTRY_TEST_POSTGRES_URL` points the tests at a server that
 * already runs instead (nothing is started or stopped then).
 */
export interface RunningPostgres {
  /** A new, empty database on the server, as a postgres:// URL. */
  createDatabase(): Promise<string>;
  /** Takes the server down, as an outage would, keeping its data (not for a server given by URL). */
  pause(): Promise<void>;
  /** Brings a paused server back on the same port. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder (idempotent). */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<RunningPostgres> {
  const existing = process.env.GANTRY_TEST_POSTGRES_URL;
  if (existing) {
    const cannot = async () => {
      throw new Error('GANTRY_TEST_POSTGRES_URL names a server these tests cannot take down');
    };
    return { createDatabase: () => createDatabase(existing), pause: cannot, resume: cannot, stop: async () => undefined };
  }

  const bin = postgresBin();
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const command = (tool: string, args: string[]) => {
    const [file, ...rest] = [...asUser, path.join(bin, tool), ...args];
    return run(file, rest, { timeout: 60_000 });
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-postgres-'));
  if (asUser.length > 0) {
    const { uid, gid } = await postgresUser();
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  await command('initdb', ['-D', data, '-U', 'gantry', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);

  let port = 0;
  const start = () => command('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  for (let attempt = 0; ; attempt += 1) {
    port = await findFreePort();
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 2) throw new Error(`PostgreSQL did not start in ${dir}: ${(err as Error).message}`);
    }
  }
  let stopped = false;
  return {
    createDatabase: () => createDatabase(`postgres://gantry@127.0.0.1:${port}/postgres`),
    pause: async () => void (await command('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])),
    resume: async () => void (await start()),
    async stop() {
      if (stopped) return;
      stopped = true;
      await command('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let databases = 0;

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `gantry_test_${process.pid}_${Date.now()}_${(databases += 1)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run installs it), or set PG_BIN to its bin folder');
  return path.join(root, versions[0], 'bin');
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new Error('running as root, the tests run PostgreSQL as the user postgres, which does not exist: apt-get install postgresql creates it');
  });
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTER_FLAGS, type RouterLaunch } from '../contracts/router-protocol';

/**
 * What one router process serves and where it keeps its state: what its starter said
 * (the launch contract), with the number of worker processes settled.
 */
export interface RouterSettings extends RouterLaunch {
  /** Processes serving public traffic; one keeps a core busy at most, so one per core. */
  workers: number;
}

/** A router rarely needs more: past a few cores the backends, not the router, are the limit. */
const MAX_DEFAULT_WORKERS = 4;
const MAX_WORKERS = 64;

export class RouterSettingsError extends Error {
  constructor(problems: string[]) {
    super(`cannot start the router: ${problems.join('; ')}`);
    this.name = 'RouterSettingsError';
  }
}

/**
 * Reads the settings from command-line flags, each of which falls back to an
 * environment variable: `--service` / `GANTRY_ROUTER_SERVICE`, `--environment`,
 * `--public-port`, `--admin-port`, `--state-file`, `--admin-token-file`, `--host` (of
 * the public port, default 127.0.0.1; the admin port is always on loopback),
 * `--workers` (default: one per core, at most 4).
 * Port 0 lets the system choose (the log says which).
 */
export function routerSettings(argv: string[], env: NodeJS.ProcessEnv): RouterSettings {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.values(ROUTER_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    strict: true,
  });
  const problems: string[] = [];
  const read = (flag: string): string | undefined => {
    const fromFlag = values[flag];
    const fromEnv = env[`GANTRY_ROUTER_${flag.toUpperCase().replace(/-/g, '_')}`];
    const value = (typeof fromFlag === 'string' ? fromFlag : fromEnv)?.trim();
    return value === '' ? undefined : value;
  };
  const required = (flag: string): string => {
    const value = read(flag);
    if (value === undefined) problems.push(`--${flag} (or GANTRY_ROUTER_${flag.toUpperCase().replace(/-/g, '_')}) is required`);
    return value ?? '';
  };
  const port = (flag: string): number => {
    const raw = required(flag);
    const value = Number(raw);
    if (raw !== '' && (!Number.isInteger(value) || value < 0 || value > 65535)) problems.push(`--${flag} must be a port number from 0 to 65535, got "${raw}"`);
    return value;
  };
  const settings: RouterSettings = {
    service: required(ROUTER_FLAGS.service),
    environment: required(ROUTER_FLAGS.environment),
    host: read(ROUTER_FLAGS.host) ?? '127.0.0.1',
    publicPort: port(ROUTER_FLAGS.publicPort),
    adminPort: port(ROUTER_FLAGS.adminPort),
    stateFile: path.resolve(required(ROUTER_FLAGS.stateFile) || '.'),
    adminTokenFile: path.resolve(required(ROUTER_FLAGS.adminTokenFile) || '.'),
    workers: workerCount(read(ROUTER_FLAGS.workers), problems),
  };
  if (problems.length > 0) throw new RouterSettingsError(problems);
  return settings;
}

function workerCount(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, os.availableParallelism()));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_WORKERS) problems.push(`--${ROUTER_FLAGS.workers} must be a whole number from 1 to ${MAX_WORKERS}, got "${raw}"`);
  return value;
}

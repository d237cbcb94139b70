import { readdir, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PATHS } from '../../contracts/router-protocol';
import { isProcessAlive } from '../process/process-group';
import { readJsonFile } from '../state-dir';
import type { RouterRecord } from './embedded-router-provider';
import { describeOpenSocket, openSocket, SOCKET_FIX } from './haproxy-socket-permissions';

/**
 * Whatever moves traffic answers only to the platform. This looks for the ways around
 * it that one machine can show: an embedded router whose admin API answers without its
 * token or can be reached on an address other than loopback, and an HAProxy runtime
 * socket that others than its owner can write. `gantry doctor` reports what it finds.
 */

/** One way to move traffic without Gantry, and how to close it. */
export interface SideDoor {
  /** e.g. `embedded router web/production (pid 4242)` or `HAProxy socket /run/haproxy/admin.sock`. */
  what: string;
  problem: string;
  fix: string;
}

export interface SideDoorReport {
  /** Running embedded routers looked at. */
  routers: number;
  /** HAProxy runtime sockets looked at. */
  sockets: string[];
  doors: SideDoor[];
}

export interface SideDoorSearch {
  /** `<GANTRY_HOME>/routers`, where embedded routers are recorded. */
  routersRoot: string;
  /** `<GANTRY_HOME>/haproxy`, where the HAProxy provider remembers which sockets it drove. */
  haproxyStateDir: string;
  /** Sockets known from elsewhere (the catalogue's `router: { kind: haproxy, socket }`). */
  haproxySockets?: string[];
  /** Per probe of an admin port (default 1 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 1_000;
const RESTART_FIX = "stop it (it is recorded in router.json); the next rollout to its environment starts it again on loopback with a token";

export async function findSideDoors(search: SideDoorSearch): Promise<SideDoorReport> {
  const timeoutMs = search.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doors: SideDoor[] = [];
  let routers = 0;
  for (const record of await routerRecords(search.routersRoot)) {
    if (!isProcessAlive(record.pid)) continue;
    routers += 1;
    doors.push(...(await routerDoors(record, timeoutMs)));
  }
  const sockets = [...new Set([...(await sidecarSockets(search.haproxyStateDir)), ...(search.haproxySockets ?? [])].map((s) => path.resolve(s)))].sort();
  for (const socket of sockets) {
    const open = await openSocket(socket);
    if (open) doors.push({ what: `HAProxy socket ${socket}`, problem: describeOpenSocket(open), fix: `${SOCKET_FIX} (\`chmod 600 ${socket}\` closes it until then)` });
  }
  return { routers, sockets, doors };
}

/** The `socket` of every service in a catalogue whose router is HAProxy, wherever the catalogue nests it. */
export function haproxySocketsIn(catalogue: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      const entry = value as Record<string, unknown>;
      if (entry.kind === 'haproxy' && typeof entry.socket === 'string') found.push(entry.socket);
      Object.values(entry).forEach(walk);
    }
  };
  walk(catalogue);
  return found;
}

async function routerDoors(record: RouterRecord, timeoutMs: number): Promise<SideDoor[]> {
  const what = `embedded router ${record.service}/${record.environment} (pid ${record.pid})`;
  const doors: SideDoor[] = [];
  let admin: URL;
  try {
    admin = new URL(record.adminUrl);
  } catch {
    return [{ what, problem: `its recorded admin address "${record.adminUrl}" is not a URL`, fix: RESTART_FIX }];
  }
  const host = admin.hostname.replace(/^\[|\]$/g, '');
  const port = Number(admin.port);
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    doors.push({ what, problem: `its admin API listens on ${host}, not loopback`, fix: RESTART_FIX });
  }
  const status = await statusWithoutToken(record.adminUrl, timeoutMs);
  if (status !== undefined && status >= 200 && status < 300) {
    doors.push({ what, problem: `its admin API at ${record.adminUrl} answers without a token (GET ${ADMIN_PATHS.routes} → ${status}): anything on this machine can set its weights`, fix: RESTART_FIX });
  }
  for (const address of outsideAddresses()) {
    if (await accepts(address, port, timeoutMs)) {
      doors.push({ what, problem: `its admin port ${port} accepts connections on ${address}, an address other machines can reach`, fix: RESTART_FIX });
    }
  }
  if (record.adminTokenFile === undefined) {
    if (doors.length === 0) doors.push({ what, problem: 'it was started before its admin API took a token', fix: RESTART_FIX });
  } else {
    const mode = await stat(record.adminTokenFile).then((s) => s.mode & 0o777, () => undefined);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      doors.push({ what, problem: `its admin token file ${record.adminTokenFile} has mode ${mode.toString(8)}: others can read the token`, fix: `chmod 600 ${record.adminTokenFile}` });
    }
  }
  return doors;
}

/** Every router.json under `<root>/<service>/<environment>/`; unreadable ones are skipped (the router provider reports those). */
async function routerRecords(root: string): Promise<RouterRecord[]> {
  const records: RouterRecord[] = [];
  for (const service of await subdirectories(root)) {
    for (const environment of await subdirectories(path.join(root, service))) {
      const record = await readJsonFile<RouterRecord>(path.join(root, service, environment, 'router.json')).catch(() => undefined);
      if (record && typeof record.pid === 'number' && typeof record.adminUrl === 'string') records.push({ ...record, service: record.service ?? service, environment: record.environment ?? environment });
    }
  }
  return records;
}

/** The sockets the HAProxy provider recorded in its sidecar files. */
async function sidecarSockets(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const sockets: string[] = [];
  for (const name of names) {
    const sidecar = await readJsonFile<{ socket?: unknown }>(path.join(dir, name)).catch(() => undefined);
    if (typeof sidecar?.socket === 'string') sockets.push(sidecar.socket);
  }
  return sockets;
}

/** This machine's addresses other than loopback (link-local IPv6 needs a scope and is left out). */
function outsideAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')))
    .map((a) => (a as os.NetworkInterfaceInfo).address);
}

/** The status of a request that carries no token; undefined when nothing answers. */
function statusWithoutToken(adminUrl: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(`${adminUrl.replace(/\/+$/, '')}${ADMIN_PATHS.routes}`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}

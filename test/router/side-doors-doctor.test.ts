import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../../src/providers/process/free-port';
import { isProcessAlive, killProcessGroup } from '../../src/providers/process/process-group';
import { embeddedRoutersDir } from '../../src/providers/router/create-router-provider';
import { EmbeddedRouterProvider, readRouterRecord, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import type { RouterRecord } from '../../src/providers/router/embedded-router-provider';
import { HaproxyRouterProvider } from '../../src/providers/router/haproxy-router-provider';
import { writeJsonAtomic } from '../../src/providers/state-dir';
import { startHaproxy } from '../support/haproxy';
import type { RunningHaproxy } from '../support/haproxy';

/**
 * `gantry doctor` (the real CLI, from dist) flags what can move traffic around the
 * platform: an embedded router's admin API that answers without its token or on an
 * address other than loopback, a token file others can read, an HAProxy runtime socket
 * others can write. Temporal is pointed at a closed port, so without side doors the
 * doctor exits 3 (unreachable); with one it exits 1.
 */

const GANTRY = path.resolve(__dirname, '../../bin/gantry.js');

let home: string;
let provider: EmbeddedRouterProvider;
let router: RouterRecord;
let tight: RunningHaproxy;
let loose: RunningHaproxy;
let legacy: ChildProcess | undefined;

interface DoctorJson {
  exitCode: number;
  sideDoors: { routers: number; sockets: string[]; doors: Array<{ what: string; problem: string; fix: string }> };
}

/** An IPv4 address of this machine other than loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

function catalogue(sockets: Array<{ env: string; haproxy: RunningHaproxy }>): string {
  const environments = sockets
    .map(({ env, haproxy }) => `      ${env}:\n        strategy: canary\n        router:\n          kind: haproxy\n          socket: ${haproxy.socket}\n          backend: ${haproxy.backend}\n          url: ${haproxy.url}\n`)
    .join('');
  return `version: 1\nservices:\n  web:\n    repository: ./web\n    build: node build.js\n    test:\n      unit: node --test test/\n      lint: node lint.js\n    artifact:\n      include: [dist]\n    run:\n      command: node dist/server.js\n    environments:\n      staging: {}\n${environments}`;
}

function doctor(args: string[] = ['--json']): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: home, GANTRY_CONFIG: path.join(home, 'gantry.yaml'), TEMPORAL_ADDRESS: '127.0.0.1:1' };
  delete env.TEMPORAL_API_KEY;
  delete env.TEMPORAL_PROFILE;
  return new Promise((resolve) => {
    execFile(process.execPath, [GANTRY, 'doctor', ...args], { env, cwd: home, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gantry-side-doors-'));
  provider = new EmbeddedRouterProvider({ root: embeddedRoutersDir(home), startTimeoutMs: 15_000, workers: 1 });
  await provider.ensureRouter('web', 'production');
  router = (await readRouterRecord(embeddedRoutersDir(home), 'web', 'production')) as RouterRecord;
  tight = await startHaproxy();
  loose = await startHaproxy({ socketMode: '666' });
});

afterAll(async () => {
  await stopAllRouters(embeddedRoutersDir(home));
  if (legacy?.pid && isProcessAlive(legacy.pid)) await killProcessGroup(legacy.pid, 1_000);
  await Promise.all([tight?.stop(), loose?.stop()]);
  await rm(home, { recursive: true, force: true });
});

describe('side doors', () => {
  it('finds none when the router takes only its token on loopback and the socket is mode 600', async () => {
    await writeFile(path.join(home, 'gantry.yaml'), catalogue([{ env: 'production', haproxy: tight }]));
    const { code, stdout } = await doctor();
    const report = JSON.parse(stdout) as DoctorJson;
    expect(report.sideDoors).toEqual({ routers: 1, sockets: [tight.socket], doors: [] });
    expect(code).toBe(3);
    expect((await doctor([])).stdout).toMatch(/Side doors {9}none \(1 running embedded router\(s\), 1 HAProxy socket\(s\) checked\)/);
  });

  it('refuses, through the provider, a socket HAProxy itself created writable by everyone', async () => {
    const haproxy = new HaproxyRouterProvider({ socket: loose.socket, backend: loose.backend, url: loose.url, stateDir: path.join(home, 'haproxy') });
    await expect(haproxy.ensureRouter()).rejects.toThrow(`HAProxy runtime socket ${loose.socket} (mode 666`);
  });

  it('flags an open socket, an admin API that answers without the token or off loopback, and a token others can read; exit 1', async () => {
    await writeFile(path.join(home, 'gantry.yaml'), catalogue([{ env: 'production', haproxy: tight }, { env: 'canary-lab', haproxy: loose }]));
    // A router as started before tokens: an admin API that takes anything, here on every interface.
    const port = await findFreePort('0.0.0.0');
    legacy = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('{"routes":[]}')).listen(${port}, '0.0.0.0')`], { detached: true, stdio: 'ignore' });
    legacy.unref();
    await sleep(500);
    await writeJsonAtomic(path.join(embeddedRoutersDir(home), 'web', 'legacy', 'router.json'), {
      service: 'web',
      environment: 'legacy',
      pid: legacy.pid,
      publicUrl: 'http://127.0.0.1:1',
      adminUrl: `http://127.0.0.1:${port}`,
      logFile: path.join(home, 'legacy.log'),
      stateFile: path.join(home, 'legacy-routes.json'),
      startedAt: new Date().toISOString(),
    });
    await chmod(router.adminTokenFile as string, 0o644);
    try {
      const { code, stdout } = await doctor();
      const report = JSON.parse(stdout) as DoctorJson;
      expect(code).toBe(1);
      expect(report.exitCode).toBe(1);
      expect(report.sideDoors.routers).toBe(2);
      expect(report.sideDoors.sockets).toEqual([loose.socket, tight.socket].sort());
      const doors = report.sideDoors.doors;
      expect(doors).toContainEqual({
        what: `HAProxy socket ${loose.socket}`,
        problem: expect.stringContaining('(mode 666, owner uid') as unknown as string,
        fix: expect.stringContaining('`mode 600`') as unknown as string,
      });
      const legacyDoors = doors.filter((d) => d.what === `embedded router web/legacy (pid ${legacy?.pid})`);
      expect(legacyDoors.map((d) => d.problem)).toContainEqual(expect.stringContaining('answers without a token'));
      const outside = outsideAddress();
      if (outside) expect(legacyDoors.map((d) => d.problem)).toContainEqual(`its admin port ${port} accepts connections on ${outside}, an address other machines can reach`);
      expect(legacyDoors.every((d) => d.fix.includes('starts it again on loopback with a token'))).toBe(true);
      expect(doors).toContainEqual({
        what: `embedded router web/production (pid ${router.pid})`,
        problem: `its admin token file ${router.adminTokenFile} has mode 644: others can read the token`,
        fix: `chmod 600 ${router.adminTokenFile}`,
      });
      // The router that takes only its token on loopback has no other door; the mode-600 socket none.
      expect(doors.filter((d) => d.what.startsWith('embedded router web/production'))).toHaveLength(1);
      expect(doors.some((d) => d.what === `HAProxy socket ${tight.socket}`)).toBe(false);

      const text = await doctor([]);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`Side doors         ${doors.length} open: something other than Gantry can move traffic`);
      expect(text.stdout).toContain(`fix: chmod 600 ${router.adminTokenFile}`);
      expect(text.stdout).toContain('close the side doors above (exit 1)');
    } finally {
      await chmod(router.adminTokenFile as string, 0o600);
    }
  });
});

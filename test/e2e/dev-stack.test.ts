import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/dev/ports';

const GANTRY = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const EXAMPLE_CATALOGUE = path.resolve(__dirname, '..', '..', 'examples', 'gantry.yaml');

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('`gantry dev` runs a dev server with the UI and a worker on the given ports; SIGINT stops both cleanly', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const home = mkdtempSync(path.join(os.tmpdir(), 'gantry-dev-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: home, GANTRY_TASK_QUEUE: 'dev-stack-test', GANTRY_CATALOGUE: EXAMPLE_CATALOGUE };
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [GANTRY, 'dev', '--port', String(port), '--ui-port', String(uiPort)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  try {
    await waitFor('the worker to start', () => stderr.includes('gantry worker started'));
    expect(stderr).toContain(`Temporal dev server at 127.0.0.1:${port}, UI at http://127.0.0.1:${uiPort}`);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^1\./);
    // The search attributes Gantry needs are registered.
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(attributes.customAttributes ?? {})).toEqual(expect.arrayContaining(['GantryService', 'GantryVersion', 'GantryStage', 'GantryOutcome']));
    await connection.close();
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(stderr).toContain('gantry worker stopped');
  expect(await portAnswers(port)).toBe(false);
  expect(await portAnswers(uiPort)).toBe(false);
});

test('`gantry dev` on a port that is taken says so and exits 2', async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const taken = (server.address() as net.AddressInfo).port;
  const home = mkdtempSync(path.join(os.tmpdir(), 'gantry-dev-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: home };
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [GANTRY, 'dev', '--port', String(taken), '--ui-port', String(await freePort())], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  server.close();
  expect(code).toBe(2);
  expect(stderr).toContain(`port ${taken} (--port) is already in use`);
});

test('`gantry worker` serves the shared server and stops gracefully on SIGTERM', async () => {
  const address = process.env.GANTRY_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('GANTRY_TEST_TEMPORAL_ADDRESS is not set: run through jest');
  const home = mkdtempSync(path.join(os.tmpdir(), 'gantry-worker-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: home, GANTRY_TASK_QUEUE: 'worker-sigterm-test', TEMPORAL_ADDRESS: address, GANTRY_CATALOGUE: EXAMPLE_CATALOGUE };
  const child = spawn(process.execPath, [GANTRY, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the worker to start', () => stderr.includes('gantry worker started'));
  const started = JSON.parse(stderr.split('\n').find((l) => l.includes('gantry worker started'))!);
  expect(started).toMatchObject({ address, namespace: 'default', taskQueue: 'worker-sigterm-test', home });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toContain('gantry worker stopped');
});

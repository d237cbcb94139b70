import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/ports';

const GANTRY = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

/**
 * `npm start` is the main job: on its own dev server it releases the example all at
 * once, then a canary that reaches 100 %, a bad canary that is rolled back by itself,
 * and a blue/green release. It exits 0 only when every outcome is the expected one.
 */
test('the demo shows an all-at-once release, a canary to 100 %, a bad canary rolled back, and a blue/green release', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: mkdtempSync(path.join(os.tmpdir(), 'gantry-demo-')), GANTRY_TASK_QUEUE: 'demo-test' };
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [GANTRY, 'demo', '--port', String(port), '--ui-port', String(uiPort), '--approve-after', '1', '--no-keep'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/as expected {2}web 1\.0\.0: succeeded/);
  expect(stdout).toMatch(/as expected {2}shop 1\.0\.1: succeeded/);
  expect(stdout).toMatch(/Release shop 1\.0\.2-bad rolled_back: canary at 10 %: 2 failed checks in a row \(limit 2\): error rate/);
  expect(stdout).toMatch(/as expected {2}store 1\.0\.1: succeeded/);
  expect(stdout).toMatch(/blueGreen: promoted, \d+ analyses/);
  expect(stdout).not.toMatch(/UNEXPECTED/);
  // It ends with what runs where, as the environment entities record it.
  expect(stdout).toMatch(/== What runs where now \(gantry env list\)\n {2}shop\/production\s+1\.0\.1 since/);
  expect(stdout).toMatch(/ {2}web\/staging\s+1\.0\.0 since/);
  expect(stdout).toMatch(/ {2}store\/production\s+1\.0\.1 since/);
}, 240_000);

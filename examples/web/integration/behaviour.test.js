'use strict';

// Builds deliberately bad and slow versions into temporary directories and checks over
// real HTTP that they misbehave only on /, stay healthy, and pass the smoke test: the
// canary analysis, not the deploy or the smoke test, is what must catch them.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./server-process');

const root = path.join(__dirname, '..');

function build(t, version) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-build-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'dist');
  execFileSync(process.execPath, [path.join(root, 'build.js'), out], { env: { ...process.env, GANTRY_VERSION: version }, stdio: 'pipe' });
  return out;
}

async function timed(url) {
  const started = performance.now();
  const response = await fetch(url);
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

function smoke(baseUrl) {
  return spawnSync(process.execPath, [path.join(root, 'smoke.js')], { env: { ...process.env, BASE_URL: baseUrl }, encoding: 'utf8' });
}

test('the build bakes the behaviour of the version into version.json, the same every time', (t) => {
  const cases = [
    ['1.2.0', { errorPercent: 0, delayMs: 0 }],
    ['1.2.0-bad', { errorPercent: 30, delayMs: 0 }],
    ['1.2.0-slow', { errorPercent: 0, delayMs: 400 }],
  ];
  for (const [version, behaviour] of cases) {
    const first = fs.readFileSync(path.join(build(t, version), 'version.json'), 'utf8');
    assert.deepEqual(JSON.parse(first), { version, behaviour });
    assert.equal(fs.readFileSync(path.join(build(t, version), 'version.json'), 'utf8'), first);
  }
});

test('a bad version answers 500 to 30 % of requests on / and stays healthy', async (t) => {
  const baseUrl = await startServer(t, build(t, '1.2.0-bad'));
  const home = [];
  for (let i = 0; i < 50; i++) {
    home.push((await fetch(`${baseUrl}/`)).status);
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
  }
  assert.equal(home.filter((status) => status === 500).length, 15);
  assert.equal(home.filter((status) => status === 200).length, 35);
});

test('a slow version adds 400 ms on / and nowhere else', async (t) => {
  const baseUrl = await startServer(t, build(t, '1.2.0-slow'));
  for (let i = 0; i < 3; i++) {
    const home = await timed(`${baseUrl}/`);
    assert.equal(home.status, 200);
    assert.ok(home.ms >= 390, `/ answered in ${home.ms.toFixed(0)} ms`);
    const health = await timed(`${baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(health.ms < 300, `/healthz answered in ${health.ms.toFixed(0)} ms`);
  }
});

test('bad and slow versions pass the smoke test, however many requests they served before', async (t) => {
  for (const version of ['1.2.0-bad', '1.2.0-slow', '1.2.0-bad.slow']) {
    const baseUrl = await startServer(t, build(t, version));
    // Move a bad build's schedule to just before a failure, so the smoke test meets one.
    for (let i = 0; i < 3; i++) await fetch(`${baseUrl}/`);
    const result = smoke(baseUrl);
    assert.equal(result.status, 0, `${version}: ${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^ok +GET \S+\/healthz -> 200/m);
    assert.match(result.stdout, /^ok +GET \S+\/ -> 200/m);
    if (version.includes('bad')) assert.match(result.stdout, /^FAIL GET \S+\/ -> 500 .*\n^ok +GET \S+\/ -> 200 .*\(attempt 2 of 5\)$/m);
  }
});

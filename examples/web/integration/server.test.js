'use strict';

// Starts the built server (dist/, so run `node build.js` first) on a free port and
// talks to it over real HTTP.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealthy(baseUrl, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with code ${server.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy within ${timeoutMs} ms`);
}

test('the built server answers over HTTP', async (t) => {
  assert.ok(fs.existsSync(path.join(dist, 'server.js')), 'dist/server.js is missing: run `node build.js` first');
  const { version } = JSON.parse(fs.readFileSync(path.join(dist, 'version.json'), 'utf8'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [path.join(dist, 'server.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', GANTRY_SERVICE: 'web' },
    stdio: 'ignore',
  });
  t.after(() => server.kill('SIGTERM'));

  await waitForHealthy(baseUrl, server, 10_000);

  await t.test('/ returns the service and the built version', async () => {
    const response = await fetch(`${baseUrl}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /application\/json/);
    assert.deepEqual(await response.json(), { service: 'web', version });
  });

  await t.test('/healthz returns 200', async () => {
    const response = await fetch(`${baseUrl}/healthz`);
    assert.equal(response.status, 200);
  });

  await t.test('unknown paths return 404', async () => {
    const response = await fetch(`${baseUrl}/missing`);
    assert.equal(response.status, 404);
  });
});

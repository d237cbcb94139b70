'use strict';

// Starting a built server (a dist/ directory) on a free port, for the integration tests.
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

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

/** Starts `<distDir>/server.js`, waits until it is healthy, and stops it when the test `t` ends. */
async function startServer(t, distDir) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [path.join(distDir, 'server.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', GANTRY_SERVICE: 'web' },
    stdio: 'ignore',
  });
  t.after(() => server.kill('SIGTERM'));
  await waitForHealthy(baseUrl, server, 10_000);
  return baseUrl;
}

module.exports = { startServer };

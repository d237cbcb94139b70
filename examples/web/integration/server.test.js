'use strict';

// Starts the built server (dist/, so run `node build.js` first) on a free port and
// talks to it over real HTTP. Whatever version was built — a bad build fails 30 % of
// the requests on /, but never the first three — these checks hold.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('./server-process');

const dist = path.join(__dirname, '..', 'dist');

test('the built server answers over HTTP', async (t) => {
  assert.ok(fs.existsSync(path.join(dist, 'server.js')), 'dist/server.js is missing: run `node build.js` first');
  const { version } = JSON.parse(fs.readFileSync(path.join(dist, 'version.json'), 'utf8'));
  const baseUrl = await startServer(t, dist);

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

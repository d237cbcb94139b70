'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { route } = require('../src/app');

const info = { service: 'web', version: '1.2.3' };

test('/ names the service and version', () => {
  assert.deepEqual(route('GET', '/', info), { status: 200, body: { service: 'web', version: '1.2.3' } });
});

test('/healthz answers 200', () => {
  assert.equal(route('GET', '/healthz', info).status, 200);
});

test('query strings do not change the route', () => {
  assert.equal(route('GET', '/healthz?probe=1', info).status, 200);
});

test('unknown paths are 404', () => {
  assert.equal(route('GET', '/nope', info).status, 404);
});

test('only GET and HEAD are served', () => {
  assert.equal(route('POST', '/', info).status, 405);
  assert.equal(route('HEAD', '/', info).status, 200);
});

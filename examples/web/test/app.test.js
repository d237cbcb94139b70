'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { createApp, route } = require('../src/app');
const { behaviourFor } = require('../src/behaviour');

const info = { service: 'web', version: '1.2.3', behaviour: behaviourFor('1.2.3') };
const bad = { service: 'web', version: '1.2.0-bad', behaviour: behaviourFor('1.2.0-bad') };
const slow = { service: 'web', version: '1.2.0-slow', behaviour: behaviourFor('1.2.0-slow') };

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

test('without a behaviour (running from src/) the service is good', () => {
  assert.deepEqual(route('GET', '/', { service: 'web', version: '0.0.0-dev' }, () => 3), {
    status: 200,
    body: { service: 'web', version: '0.0.0-dev' },
  });
});

test('a bad build fails the 4th, 7th and 10th request on / with a 500 that says why', () => {
  const statuses = Array.from({ length: 10 }, (_, sequence) => route('GET', '/', bad, () => sequence).status);
  assert.deepEqual(statuses, [200, 200, 200, 500, 200, 200, 500, 200, 200, 500]);
  assert.deepEqual(route('GET', '/', bad, () => 3).body, { error: '1.2.0-bad fails 30 % of requests on purpose' });
});

test('a bad build stays healthy and counts only requests on /', () => {
  const app = createApp(bad);
  const statuses = [];
  for (let i = 0; i < 100; i++) {
    assert.equal(app('GET', '/healthz').status, 200);
    assert.equal(app('GET', '/nope').status, 404);
    statuses.push(app('GET', '/').status);
  }
  assert.equal(statuses.filter((status) => status === 500).length, 30);
  assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 500]);
});

test('a slow build holds answers on / for 400 ms, and only there', () => {
  assert.deepEqual(route('GET', '/', slow), { status: 200, body: { service: 'web', version: '1.2.0-slow' }, delayMs: 400 });
  assert.equal(route('HEAD', '/', slow).delayMs, 400);
  assert.equal(route('GET', '/healthz', slow).delayMs, undefined);
  assert.equal(route('GET', '/nope', slow).delayMs, undefined);
});

test('a good build never fails and never waits', () => {
  const app = createApp(info);
  for (let i = 0; i < 100; i++) assert.deepEqual(app('GET', '/'), { status: 200, body: { service: 'web', version: '1.2.3' } });
});

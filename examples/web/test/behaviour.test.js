'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { behaviourFor, describeBehaviour, failsAt, versionTags } = require('../src/behaviour');

const GOOD = { errorPercent: 0, delayMs: 0 };
const BAD = { errorPercent: 30, delayMs: 0 };
const SLOW = { errorPercent: 0, delayMs: 400 };

test('the version selects the behaviour', () => {
  const cases = [
    ['1.2.0', GOOD],
    ['v1.2.0', GOOD],
    ['1.2.0-rc.1', GOOD],
    ['0.0.0-dev', GOOD],
    ['1.2.0-badger', GOOD],
    ['1.2.0-slowly', GOOD],
    ['not a version -bad', GOOD],
    ['1.2.0-bad', BAD],
    ['v1.2.0-bad', BAD],
    ['1.2.0-BAD', BAD],
    ['1.2.0-bad.2', BAD],
    ['1.2.0-rc.1.bad', BAD],
    ['1.2.0-canary-bad', BAD],
    ['1.2.0+bad', BAD],
    ['1.2.0-rc.1+build.bad', BAD],
    ['1.2.0-slow', SLOW],
    ['1.2.0+slow', SLOW],
    ['1.2.0-bad.slow', { errorPercent: 30, delayMs: 400 }],
    ['1.2.0-latebad', { errorPercent: 30, delayMs: 0, failAfter: 150 }],
  ];
  for (const [version, expected] of cases) assert.deepEqual(behaviourFor(version), expected, version);
});

test('tags are the identifiers of the pre-release and build parts', () => {
  assert.deepEqual(versionTags('1.2.0-rc.1+build-bad'), ['rc', '1', 'build', 'bad']);
  assert.deepEqual(versionTags('1.2.0'), []);
  assert.deepEqual(versionTags('1.2'), []);
});

test('failures are spread evenly and hold the rate in any window', () => {
  const fails = (percent, count) => Array.from({ length: count }, (_, sequence) => failsAt(sequence, percent));
  const thirty = fails(30, 1000);
  assert.equal(thirty.filter(Boolean).length, 300);
  for (let start = 0; start + 10 <= thirty.length; start++) {
    assert.equal(thirty.slice(start, start + 10).filter(Boolean).length, 3, `window at ${start}`);
  }
  assert.ok(!thirty.some((failed, i) => failed && thirty[i + 1]), 'never two failures in a row');
  assert.deepEqual(thirty.slice(0, 3), [false, false, false]);
  assert.equal(fails(0, 1000).filter(Boolean).length, 0);
  assert.equal(fails(100, 10).filter(Boolean).length, 10);
});

test('the behaviour is described in words', () => {
  assert.equal(describeBehaviour(GOOD), 'good');
  assert.equal(describeBehaviour(BAD), 'fails 30 % of requests on /');
  assert.equal(describeBehaviour(SLOW), 'adds 400 ms to every request on /');
  assert.equal(describeBehaviour({ errorPercent: 30, delayMs: 400 }), 'fails 30 % of requests on /, adds 400 ms to every request on /');
});

test('a late-bad build answers its first 150 requests on / and then fails like a bad one', () => {
  const { route } = require('../src/app');
  const info = { service: 'web', version: '1.2.0-latebad', behaviour: behaviourFor('1.2.0-latebad') };
  const statuses = Array.from({ length: 300 }, (_, sequence) => route('GET', '/', info, () => sequence).status);
  assert.ok(statuses.slice(0, 150).every((s) => s === 200));
  assert.equal(statuses.slice(150).filter((s) => s === 500).length, 45);
  assert.match(describeBehaviour(info.behaviour), /fails 30 % of requests on \/ after the first 150/);
});

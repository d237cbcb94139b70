'use strict';

/**
 * How a build of this example behaves, chosen by the version being built, so a release
 * can ship a deliberately broken version and watch the canary analysis catch it:
 *
 * - a pre-release or build tag `bad` (1.2.0-bad, 1.2.0-rc.1.bad, 1.2.0+bad) answers 500
 *   to 30 % of the requests on /;
 * - a tag `slow` (1.2.0-slow) adds 400 ms to every request on /;
 * - a tag `latebad` (1.2.0-latebad) is good for its first 150 requests on /, then fails
 *   30 % like `bad`: it passes a short preview and goes wrong once it takes real traffic;
 * - tags combine (1.2.0-bad.slow); anything else (1.2.0, 1.2.0-rc.1, 0.0.0-dev) is good.
 *
 * /healthz is never affected: deploys, health checks and the smoke test succeed, and only
 * the metrics tell a bad version from a good one.
 */

const BAD_ERROR_PERCENT = 30;
const SLOW_DELAY_MS = 400;
const LATE_BAD_HEALTHY_REQUESTS = 150;

const GOOD = Object.freeze({ errorPercent: 0, delayMs: 0 });

const SEMVER = /^v?\d+\.\d+\.\d+(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/** The identifiers of a version's pre-release and build tags: "1.2.0-rc.1+bad" → [rc, 1, bad]. */
function versionTags(version) {
  const match = SEMVER.exec(String(version).trim());
  if (!match) return [];
  return [match[1], match[2]].filter(Boolean).flatMap((tag) => tag.toLowerCase().split(/[.-]/));
}

/** { errorPercent, delayMs } for a version: "1.2.0-bad" → { errorPercent: 30, delayMs: 0 }. */
function behaviourFor(version) {
  const tags = versionTags(version);
  const lateBad = tags.includes('latebad');
  return {
    errorPercent: tags.includes('bad') || lateBad ? BAD_ERROR_PERCENT : 0,
    delayMs: tags.includes('slow') ? SLOW_DELAY_MS : 0,
    // Only present when set, so good and plainly bad builds keep their simple shape.
    ...(lateBad ? { failAfter: LATE_BAD_HEALTHY_REQUESTS } : {}),
  };
}

/**
 * Whether the request with this sequence number (0, 1, 2, … among the requests on /)
 * fails. Failures are spread evenly, so any window holds the rate: at 30 % the 4th,
 * 7th and 10th of every 10 fail (sequence 3, 6, 9, 13, 16, 19, …), never two in a row,
 * and the first three succeed.
 */
function failsAt(sequence, errorPercent) {
  return Math.floor(((sequence + 1) * errorPercent) / 100) > Math.floor((sequence * errorPercent) / 100);
}

/** "fails 30 % of requests on /, adds 400 ms to every request on /", or "good". */
function describeBehaviour(behaviour) {
  const parts = [];
  if (behaviour.errorPercent > 0) {
    parts.push(`fails ${behaviour.errorPercent} % of requests on /${behaviour.failAfter ? ` after the first ${behaviour.failAfter}` : ''}`);
  }
  if (behaviour.delayMs > 0) parts.push(`adds ${behaviour.delayMs} ms to every request on /`);
  return parts.length > 0 ? parts.join(', ') : 'good';
}

module.exports = { GOOD, behaviourFor, describeBehaviour, failsAt, versionTags };

/**
 * Which of two versions is newer, by semantic-version precedence (semver.org §11): the
 * release guard that stops an older version replacing a newer one asks it. Versions are
 * already checked against VERSION_PATTERN (a leading v is allowed).
 *
 * Worked example: 1.4.1 < 1.4.2-rc.1 < 1.4.2-rc.2 < 1.4.2-rc.10 < 1.4.2 = 1.4.2+build.7 < 1.10.0.
 * A pre-release comes before its release; its identifiers compare one by one, numbers
 * numerically, words in ASCII order, numbers before words, and fewer before more when
 * all before are equal (1.0.0-alpha < 1.0.0-alpha.1). Build metadata does not count.
 */

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const NUMERIC = /^\d+$/;

interface ParsedVersion {
  core: [number, number, number];
  preRelease: string[];
}

function parseVersion(version: string): ParsedVersion {
  const match = SEMVER.exec(version);
  if (!match) throw new Error(`"${version}" is not a semantic version`);
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], preRelease: match[4] ? match[4].split('.') : [] };
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` comes before `b`, positive after, 0 when they have the same precedence. */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    if (left.core[i] !== right.core[i]) return Math.sign(left.core[i] - right.core[i]);
  }
  // A version without a pre-release comes after every pre-release of it.
  if (left.preRelease.length === 0 || right.preRelease.length === 0) return Math.sign(right.preRelease.length - left.preRelease.length);
  for (let i = 0; i < Math.min(left.preRelease.length, right.preRelease.length); i++) {
    const order = compareIdentifiers(left.preRelease[i], right.preRelease[i]);
    if (order !== 0) return order;
  }
  return Math.sign(left.preRelease.length - right.preRelease.length);
}

/** What the no-downgrade guard decides when `version` is about to enter an environment where `running` runs. */
export type DowngradeDecision =
  | { kind: 'allowed' }
  /** Older than what runs there, and the release is an explicit rollback: it goes on, and says so. */
  | { kind: 'rollback'; replaces: string }
  | { kind: 'refused'; reason: string };

/**
 * An older version never replaces a newer one unless the release is an explicit
 * rollback. The same version again, a newer one, or an empty environment pass.
 */
export function decideDowngrade(version: string, environment: string, running: string | undefined, rollback: boolean): DowngradeDecision {
  if (running === undefined || compareVersions(version, running) >= 0) return { kind: 'allowed' };
  if (rollback) return { kind: 'rollback', replaces: running };
  return {
    kind: 'refused',
    reason: `${version} is older than ${running}, which runs in ${environment}; start it with --rollback --reason … to roll back`,
  };
}

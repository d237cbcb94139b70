import type { Verdict } from './approval';

/**
 * The statement a person signs when they approve with their SSH key: what they decide,
 * about which release, where, who they are, and when. Canonical JSON (these keys, this
 * order, no spaces), so the CLI, the workflow and an auditor with `ssh-keygen -Y verify`
 * all see the same bytes. Signed in the `gantry` namespace.
 *
 * Example: {"action":"approve","service":"web","version":"1.4.2","artifact":"sha256:…",
 * "environment":"production","identity":"bob","time":"2026-12-01T22:00:00.000Z"}
 */

export const SIGNATURE_NAMESPACE = 'gantry';
/** How far a statement's time may be from the release's clock: older is stale (a replayed signature), later is from the future. */
export const STATEMENT_MAX_AGE_MS = 15 * 60_000;

export interface DecisionStatement {
  action: 'approve';
  service: string;
  version: string;
  /** The artifact's digest: the approval is of these bytes, not of a version name. */
  artifact: string;
  environment: string;
  identity: string;
  /** ISO 8601 */
  time: string;
}

const FIELDS = ['action', 'service', 'version', 'artifact', 'environment', 'identity', 'time'] as const;

export function canonicalStatement(statement: DecisionStatement): string {
  return JSON.stringify(Object.fromEntries(FIELDS.map((field) => [field, statement[field]])));
}

/** A signed decision as it travels with an approval and stays in the record. */
export interface SignedDecision {
  statement: string;
  /** Armoured SSH signature (-----BEGIN SSH SIGNATURE-----). */
  signature: string;
}

/**
 * Whether a signed statement says what this approval is: the same action, release,
 * artifact, environment and identity, made recently. The signature itself is checked
 * apart (it needs cryptography, which workflow code does not have).
 */
export function checkStatement(text: string, expected: Omit<DecisionStatement, 'time'>, nowMs: number): Verdict {
  let parsed: Partial<DecisionStatement>;
  try {
    parsed = JSON.parse(text) as Partial<DecisionStatement>;
  } catch {
    return { ok: false, reason: 'the signed statement is not JSON; make it with `gantry release sign-payload`' };
  }
  if (text !== canonicalStatement(parsed as DecisionStatement)) return { ok: false, reason: 'the signed statement is not in canonical form; make it with `gantry release sign-payload`' };
  for (const field of FIELDS) {
    if (field === 'time') continue;
    if (parsed[field] !== expected[field]) return { ok: false, reason: `the signed statement is for ${field} ${JSON.stringify(parsed[field])}, not ${JSON.stringify(expected[field])}` };
  }
  // eslint-disable-next-line no-restricted-syntax -- parses the time the statement gives; reads no clock
  const at = Date.parse(parsed.time ?? '');
  if (Number.isNaN(at)) return { ok: false, reason: 'the signed statement has no valid time' };
  if (nowMs - at > STATEMENT_MAX_AGE_MS) return { ok: false, reason: `the signed statement expired: it was made at ${parsed.time}, more than ${STATEMENT_MAX_AGE_MS / 60_000} minutes ago; sign again` };
  if (at - nowMs > STATEMENT_MAX_AGE_MS) return { ok: false, reason: `the signed statement is dated ${parsed.time}, in the future; check the signer's clock` };
  return { ok: true };
}

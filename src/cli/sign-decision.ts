import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { environmentPlan } from '../policy/environment-plan';
import { type DecisionStatement, type SignedDecision, SIGNATURE_NAMESPACE, canonicalStatement } from '../policy/signed-statement';
import type { ReleaseStatus } from '../shared/release';
import { invalidInput } from './exit-codes';

/**
 * Signs an approval with the person's own SSH key, as git signs commits: the canonical
 * statement goes to `ssh-keygen -Y sign -n gantry` (so an agent, a hardware key or a
 * passphrase prompt work as they do for git), and the armoured signature comes back.
 */
export function signApproval(status: ReleaseStatus, identity: string, keyFile: string, nowMs: number): SignedDecision {
  if (!status.artifact) throw invalidInput(`${status.service} ${status.version} has no artifact yet: sign once it waits for approval (it is in ${status.stage})`);
  if (!status.definition) throw invalidInput(`${status.service} ${status.version} was not admitted by the platform; it cannot take signed approvals`);
  if (!existsSync(keyFile)) throw invalidInput(`--sign: no key file ${keyFile}; give your SSH private key (or its .pub with the key in ssh-agent)`);
  const environment = environmentPlan(status.definition.environments).find((e) => e.approvalFirst)?.name ?? '';
  const statement: DecisionStatement = {
    action: 'approve',
    service: status.service,
    version: status.version,
    artifact: status.artifact.digest,
    environment,
    identity,
    time: new Date(nowMs).toISOString(),
  };
  const text = canonicalStatement(statement);
  // A passphrase is asked on the terminal, not on stderr: stderr only chatters ("Signing data on standard input") or says what went wrong.
  const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', keyFile], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  if (signed.error) throw invalidInput(`--sign: could not run ssh-keygen (${signed.error.message}); install OpenSSH's ssh-keygen`);
  if (signed.status !== 0 || !signed.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw invalidInput(`--sign: ssh-keygen could not sign with ${keyFile} (exit ${signed.status}): ${signed.stderr.replace('Signing data on standard input', '').trim()}`);
  }
  return { statement: text, signature: signed.stdout };
}

/**
 * Writes each signed approval of a release as an auditor checks it: `allowed_signers`
 * (the keys the release was admitted with; an auditor may use their own copy from the
 * catalogue's repository instead), and per approval the statement and its signature.
 * Returns the lines to print: one `ssh-keygen -Y verify` command per approval.
 */
export function writeSignedApprovals(status: ReleaseStatus, dir: string): string[] {
  const signed = status.approvals.filter((a) => a.signed);
  if (signed.length === 0) return [`${status.service} ${status.version} has no signed approvals`];
  mkdirSync(dir, { recursive: true });
  const signers = status.definition?.signers ?? {};
  const allowed = path.join(dir, 'allowed_signers');
  writeFileSync(allowed, Object.entries(signers).flatMap(([who, keys]) => keys.map((key) => `${who} namespaces="${SIGNATURE_NAMESPACE}" ${key}\n`)).join(''));
  return signed.map((approval, index) => {
    const base = path.join(dir, `${index + 1}-${approval.by}`);
    writeFileSync(`${base}.statement`, approval.signed!.statement);
    writeFileSync(`${base}.sig`, approval.signed!.signature);
    return `ssh-keygen -Y verify -f ${allowed} -I ${approval.by} -n ${SIGNATURE_NAMESPACE} -s ${base}.sig < ${base}.statement`;
  });
}

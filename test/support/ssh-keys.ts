import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A real SSH key made by ssh-keygen, and what ssh-keygen -Y sign makes with it. */
export interface SshKey {
  file: string;
  publicLine: string;
  sign: (message: string, namespace?: string) => string;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-ssh-keys-'));
let made = 0;

export function makeSshKey(type: 'ed25519' | 'rsa' | 'ecdsa', comment = 'someone@laptop'): SshKey {
  const file = path.join(dir, `key-${++made}-${type}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', comment, '-f', file]);
  return {
    file,
    publicLine: readFileSync(`${file}.pub`, 'utf8').trim(),
    sign: (message, namespace = 'gantry') => execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', file], { input: message, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }),
  };
}

/** Whether the real ssh-keygen -Y verify accepts a signature, given an allowed_signers file. */
export function sshKeygenVerifies(allowedSigners: string, identity: string, signatureFile: string, message: string, namespace = 'gantry'): boolean {
  try {
    execFileSync('ssh-keygen', ['-Y', 'verify', '-f', allowedSigners, '-I', identity, '-n', namespace, '-s', signatureFile], { input: message, stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}

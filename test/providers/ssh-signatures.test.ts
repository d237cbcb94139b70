import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePublicKeyLine, verifySshSignature } from '../../src/providers/signatures/ssh-signature';
import { makeSshKey, sshKeygenVerifies } from '../support/ssh-keys';

/** The armour with only the first line of its body: a signature cut short. */
const truncated = (armoured: string) => {
  const lines = armoured.trim().split('\n');
  return [lines[0], lines[1], lines[lines.length - 1]].join('\n');
};
const statement = '{"action":"approve","service":"web","version":"1.4.2","artifact":"sha256:ab","environment":"production","identity":"bob","time":"2026-12-01T22:00:00.000Z"}';

describe('SSH signatures made by the real ssh-keygen, verified by Gantry', () => {
  const keys = { ed25519: makeSshKey('ed25519', 'bob@laptop'), rsa: makeSshKey('rsa', 'bob@desktop'), ecdsa: makeSshKey('ecdsa', 'bob@yubikey') };

  test.each(Object.entries(keys))('a %s signature over the statement verifies against its public key', (type, key) => {
    const check = verifySshSignature(statement, key.sign(statement), 'gantry', [key.publicLine]);
    expect(check).toEqual({ ok: true, keyType: expect.stringContaining(type === 'rsa' ? 'ssh-rsa' : type), fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/) });
  });

  test.each([
    ['another statement (another version)', (k: typeof keys.ed25519) => verifySshSignature(statement.replace('1.4.2', '1.4.3'), k.sign(statement), 'gantry', [k.publicLine]), /does not match the statement/],
    ['another digest', (k: typeof keys.ed25519) => verifySshSignature(statement.replace('sha256:ab', 'sha256:cd'), k.sign(statement), 'gantry', [k.publicLine]), /does not match the statement/],
    ["another person's key", (k: typeof keys.ed25519) => verifySshSignature(statement, k.sign(statement), 'gantry', [keys.rsa.publicLine]), /not one of the signer's keys in the catalogue/],
    ['another namespace', (k: typeof keys.ed25519) => verifySshSignature(statement, k.sign(statement, 'git'), 'gantry', [k.publicLine]), /namespace "git", not "gantry"/],
    ['a truncated signature', (k: typeof keys.ed25519) => verifySshSignature(statement, truncated(k.sign(statement)), 'gantry', [k.publicLine]), /^the signature is malformed \(truncated\)$/],
    ['no armour at all', (k: typeof keys.ed25519) => verifySshSignature(statement, 'looks fine to me', 'gantry', [k.publicLine]), /not an armoured SSH signature/],
  ])('refused: %s', (_what, attempt, reason) => {
    expect(attempt(keys.ed25519)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  test('what Gantry accepts, ssh-keygen -Y verify accepts from the same files (and refuses a tampered statement)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-verify-'));
    const allowed = path.join(dir, 'allowed_signers');
    writeFileSync(allowed, Object.values(keys).map((k) => `bob namespaces="gantry" ${k.publicLine}\n`).join(''));
    for (const key of Object.values(keys)) {
      const sig = path.join(dir, `${path.basename(key.file)}.sig`);
      writeFileSync(sig, key.sign(statement));
      expect(sshKeygenVerifies(allowed, 'bob', sig, statement)).toBe(true);
      expect(sshKeygenVerifies(allowed, 'bob', sig, statement.replace('bob', 'eve'))).toBe(false);
    }
  });

  test('public key lines that do not parse are named', () => {
    expect(parsePublicKeyLine(keys.ed25519.publicLine)).toMatchObject({ type: 'ssh-ed25519' });
    expect(parsePublicKeyLine('ssh-ed25519')).toEqual({ error: expect.stringMatching(/is not an SSH public key/) });
    expect(parsePublicKeyLine(keys.ed25519.publicLine.replace('ssh-ed25519', 'ssh-rsa'))).toEqual({ error: 'says ssh-rsa but holds a ssh-ed25519 key' });
    expect(parsePublicKeyLine('ssh-ed25519 AAAAbm90IGEga2V5')).toEqual({ error: expect.stringMatching(/does not parse as an SSH public key/) });
  });
});

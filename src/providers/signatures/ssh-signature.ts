import { type KeyObject, createHash, createPublicKey, verify } from 'node:crypto';

/**
 * OpenSSH signatures (the SSHSIG format of `ssh-keygen -Y sign`), verified with
 * node:crypto alone, as `ssh-keygen -Y verify` does: the armoured blob's magic and
 * version, the public key inside it byte for byte against a trusted key, the namespace,
 * the hash, and the signature over
 * `"SSHSIG" ‖ string(namespace) ‖ string(reserved) ‖ string(hash) ‖ string(H(message))`.
 * Keys: ssh-ed25519, RSA (rsa-sha2-256/512; SHA-1 `ssh-rsa` signatures are refused, as
 * the format says), ECDSA P-256/384/521.
 */

export type SignatureCheck = { ok: true; keyType: string; fingerprint: string } | { ok: false; reason: string };

const MAGIC = Buffer.from('SSHSIG');
const ARMOUR = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/;
const CURVES: Record<string, { crv: string; bytes: number; hash: string }> = {
  nistp256: { crv: 'P-256', bytes: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', bytes: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', bytes: 66, hash: 'sha512' },
};

/** Reads SSH wire-format fields (uint32 length-prefixed strings) one after another. */
class WireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  bytes(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new Error('truncated');
    const out = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
  get done(): boolean {
    return this.offset === this.buffer.length;
  }
}

const sshString = (value: Buffer | string) => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
};
const base64url = (bytes: Buffer) => bytes.toString('base64url');
/** An mpint without the sign byte it may carry. */
const unsigned = (mpint: Buffer) => (mpint[0] === 0 ? mpint.subarray(1) : mpint);
const leftPad = (bytes: Buffer, length: number) => Buffer.concat([Buffer.alloc(Math.max(0, length - bytes.length)), bytes]);

/** `SHA256:…` as ssh-keygen -l prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key blob of an authorized_keys / allowed_signers line (`ssh-ed25519 AAAA… comment`), or why it is not one. */
export function parsePublicKeyLine(line: string): { type: string; blob: Buffer } | { error: string } {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data) return { error: 'is not an SSH public key; write it as ssh-keygen prints it, e.g. "ssh-ed25519 AAAAC3… alice@laptop"' };
  const blob = Buffer.from(data, 'base64');
  try {
    const inner = new WireReader(blob).text();
    if (inner !== type) return { error: `says ${type} but holds a ${inner} key` };
    publicKeyOf(blob);
  } catch (err) {
    return { error: `does not parse as an SSH public key (${(err as Error).message})` };
  }
  return { type, blob };
}

/** A node:crypto key for an SSH public key blob. */
function publicKeyOf(blob: Buffer): { type: string; key: KeyObject; curve?: (typeof CURVES)[string] } {
  const wire = new WireReader(blob);
  const type = wire.text();
  if (type === 'ssh-ed25519') return { type, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(wire.string()) }, format: 'jwk' }) };
  if (type === 'ssh-rsa') {
    const e = unsigned(wire.string());
    const n = unsigned(wire.string());
    return { type, key: createPublicKey({ key: { kty: 'RSA', n: base64url(n), e: base64url(e) }, format: 'jwk' }) };
  }
  const ecdsa = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (ecdsa) {
    const curve = CURVES[ecdsa[1]];
    if (wire.text() !== ecdsa[1]) throw new Error('curve does not match the key type');
    const point = wire.string();
    if (point[0] !== 4 || point.length !== 1 + 2 * curve.bytes) throw new Error('not an uncompressed curve point');
    const x = point.subarray(1, 1 + curve.bytes);
    const y = point.subarray(1 + curve.bytes);
    return { type, curve, key: createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: base64url(x), y: base64url(y) }, format: 'jwk' }) };
  }
  throw new Error(`unsupported key type ${type}`);
}

/**
 * Whether `armoured` is a valid SSH signature over `message` in `namespace` by one of
 * `trustedKeys` (allowed_signers lines of the identity that claims it).
 */
export function verifySshSignature(message: string, armoured: string, namespace: string, trustedKeys: string[]): SignatureCheck {
  const armour = ARMOUR.exec(armoured);
  if (!armour) return { ok: false, reason: 'the signature is not an armoured SSH signature (-----BEGIN SSH SIGNATURE-----)' };
  let signed: { publicKey: Buffer; namespace: string; reserved: Buffer; hash: string; sigType: string; sig: Buffer };
  try {
    const wire = new WireReader(Buffer.from(armour[1].replace(/\s+/g, ''), 'base64'));
    if (!wire.bytes(6).equals(MAGIC)) return { ok: false, reason: 'the signature is malformed (no SSHSIG magic)' };
    const version = wire.uint32();
    if (version !== 1) return { ok: false, reason: `the signature has version ${version}; only version 1 is known` };
    const publicKey = wire.string();
    const ns = wire.text();
    const reserved = wire.string();
    const hash = wire.text();
    const sigWire = new WireReader(wire.string());
    const sigType = sigWire.text();
    const sig = sigWire.string();
    signed = { publicKey, namespace: ns, reserved, hash, sigType, sig };
  } catch (err) {
    return { ok: false, reason: `the signature is malformed (${(err as Error).message})` };
  }
  if (signed.namespace !== namespace) return { ok: false, reason: `the signature is for namespace "${signed.namespace}", not "${namespace}"` };
  if (signed.hash !== 'sha256' && signed.hash !== 'sha512') return { ok: false, reason: `the signature hashes with ${signed.hash}; only sha256 and sha512 are accepted` };
  const trusted = trustedKeys.map(parsePublicKeyLine).find((k) => 'blob' in k && k.blob.equals(signed.publicKey));
  if (!trusted || !('blob' in trusted)) return { ok: false, reason: `the signature was made by key ${keyFingerprint(signed.publicKey)}, which is not one of the signer's keys in the catalogue` };

  const data = Buffer.concat([MAGIC, sshString(namespace), sshString(signed.reserved), sshString(signed.hash), sshString(createHash(signed.hash).update(message).digest())]);
  try {
    const { type, key, curve } = publicKeyOf(signed.publicKey);
    let valid: boolean;
    if (type === 'ssh-ed25519') valid = signed.sigType === 'ssh-ed25519' && verify(null, data, key, signed.sig);
    else if (type === 'ssh-rsa') {
      const digest = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' }[signed.sigType];
      if (!digest) return { ok: false, reason: `RSA signatures of type ${signed.sigType} are refused; sign with rsa-sha2-256 or rsa-sha2-512` };
      valid = verify(digest, data, key, signed.sig);
    } else {
      const parts = new WireReader(signed.sig);
      const r = leftPad(unsigned(parts.string()), curve!.bytes);
      const s = leftPad(unsigned(parts.string()), curve!.bytes);
      valid = signed.sigType === type && verify(curve!.hash, data, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
    }
    if (!valid) return { ok: false, reason: 'the signature does not match the statement (another statement, or a forged signature)' };
    return { ok: true, keyType: type, fingerprint: keyFingerprint(signed.publicKey) };
  } catch (err) {
    return { ok: false, reason: `the signature could not be checked (${(err as Error).message})` };
  }
}

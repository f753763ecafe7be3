import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureKeyError, parseSignatureHeader, parseTrustedKey, verifyArtifactSignature } from './signature.policy';

// Real keys, made here: nothing about the verifier is stubbed.
const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const artifact = Buffer.from('pretend these are the bytes of an .onnx file');

describe('parseTrustedKey', () => {
  it('tells Ed25519 and ECDSA P-256 apart from the key, with a stable 16-hex id', () => {
    const a = parseTrustedKey(pem(ed.publicKey));
    const b = parseTrustedKey(pem(p256.publicKey));
    expect(a.algorithm).toBe('ed25519');
    expect(b.algorithm).toBe('ecdsa-p256-sha256');
    expect(a.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(parseTrustedKey(pem(ed.publicKey)).keyId).toBe(a.keyId);
    expect(a.keyId).not.toBe(b.keyId);
  });

  it('refuses other curves, RSA, private keys and text that is no key', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => parseTrustedKey(pem(p384.publicKey))).toThrow(/unsupported key type ec \(secp384r1\)/);
    expect(() => parseTrustedKey(pem(rsa.publicKey))).toThrow(/unsupported key type rsa/);
    expect(() => parseTrustedKey(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(SignatureKeyError);
    expect(() => parseTrustedKey('hello')).toThrow(/not a PEM public key/);
  });
});

describe('verifyArtifactSignature', () => {
  it.each([
    ['ed25519', ed, null],
    ['ecdsa-p256-sha256', p256, 'sha256'],
  ] as const)('accepts a %s signature over the exact bytes and refuses a flipped byte', (_name, pair, digest) => {
    const key = parseTrustedKey(pem(pair.publicKey));
    const signature = sign(digest, artifact, pair.privateKey).toString('base64');
    expect(verifyArtifactSignature(artifact, signature, key)).toBe(true);
    const tampered = Buffer.from(artifact);
    tampered[7] ^= 0x01;
    expect(verifyArtifactSignature(tampered, signature, key)).toBe(false);
  });

  it("refuses another key's signature, a swapped algorithm, and garbage", () => {
    const edKey = parseTrustedKey(pem(ed.publicKey));
    const other = generateKeyPairSync('ed25519');
    expect(verifyArtifactSignature(artifact, sign(null, artifact, other.privateKey).toString('base64'), edKey)).toBe(false);
    const good = sign(null, artifact, ed.privateKey).toString('base64');
    expect(verifyArtifactSignature(artifact, good, { ...edKey, algorithm: 'ecdsa-p256-sha256' })).toBe(false);
    expect(verifyArtifactSignature(artifact, 'AAAA', parseTrustedKey(pem(p256.publicKey)))).toBe(false);
    expect(verifyArtifactSignature(artifact, '', edKey)).toBe(false);
  });

  it('verifies what the openssl commands of docs/signed-artifacts.md produce', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falaj-sign-'));
    try {
      const model = join(dir, 'model.onnx');
      writeFileSync(model, artifact);
      const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir });
      run('genpkey', '-algorithm', 'ed25519', '-out', 'ed.key');
      run('pkey', '-in', 'ed.key', '-pubout', '-out', 'ed.pub');
      run('pkeyutl', '-sign', '-inkey', 'ed.key', '-rawin', '-in', 'model.onnx', '-out', 'ed.sig');
      run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key');
      run('ec', '-in', 'ec.key', '-pubout', '-out', 'ec.pub');
      run('dgst', '-sha256', '-sign', 'ec.key', '-out', 'ec.sig', 'model.onnx');
      for (const name of ['ed', 'ec']) {
        const key = parseTrustedKey(readFileSync(join(dir, `${name}.pub`), 'utf8'));
        expect(verifyArtifactSignature(artifact, readFileSync(join(dir, `${name}.sig`)).toString('base64'), key)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseSignatureHeader', () => {
  it('reads <keyId>:<base64> and refuses anything else', () => {
    expect(parseSignatureHeader('0123456789abcdef:AbC+/w==')).toEqual({ keyId: '0123456789abcdef', signature: 'AbC+/w==' });
    expect(parseSignatureHeader('0123456789abcdef')).toBeNull();
    expect(parseSignatureHeader('xyz:AAAA')).toBeNull();
    expect(parseSignatureHeader('0123456789abcdef:not base64!')).toBeNull();
  });
});

import { randomBytes } from 'node:crypto';
import { KeyEncryption } from './key-encryption';

describe(KeyEncryption.name, () => {
  const kek = randomBytes(32).toString('base64url');
  const secret = Buffer.from('a private key');

  it('round-trips under the same key and kid', () => {
    const box = new KeyEncryption(kek);
    expect(box.decrypt(box.encrypt(secret, 'k1'), 'k1')).toEqual(secret);
  });

  it('refuses another key, another kid, or an altered ciphertext', () => {
    const sealed = new KeyEncryption(kek).encrypt(secret, 'k1');
    expect(() => new KeyEncryption(randomBytes(32).toString('base64url')).decrypt(sealed, 'k1')).toThrow();
    expect(() => new KeyEncryption(kek).decrypt(sealed, 'k2')).toThrow();
    const altered = Buffer.from(sealed, 'base64');
    altered[altered.length - 1] ^= 1;
    expect(() => new KeyEncryption(kek).decrypt(altered.toString('base64'), 'k1')).toThrow();
  });

  it('never leaves the plaintext in the stored form', () => {
    expect(Buffer.from(new KeyEncryption(kek).encrypt(secret, 'k1'), 'base64').includes(secret)).toBe(false);
  });
});

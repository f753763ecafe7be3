import type { TrustedKeyEntity } from './trusted-key.entity';

/** A trusted key as the admin API shows it: its public half only, as PEM. */
export function toTrustedKeyView(key: TrustedKeyEntity) {
  const lines = key.publicKey.match(/.{1,64}/g) ?? [];
  return {
    keyId: key.keyId,
    algorithm: key.algorithm,
    publicKey: `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`,
    createdAt: key.createdAt,
    createdBy: key.createdBy,
    revokedAt: key.revokedAt,
    revokedBy: key.revokedBy,
  };
}

export const TRUSTED_KEY_EXAMPLE = {
  keyId: '3f9a0c1d2b4e5f60',
  algorithm: 'ed25519',
  publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n',
  createdAt: '2026-12-03T10:00:00.000Z',
  createdBy: 'e2e-admin',
  revokedAt: null,
  revokedBy: null,
};

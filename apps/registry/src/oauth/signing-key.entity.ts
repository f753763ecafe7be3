import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One ES256 key of the built-in issuer. The private key is encrypted at rest (AES-256-GCM under a
 * key derived from FALAJ_KEY_ENCRYPTION_KEY, bound to the kid); the public key is what JWKS
 * publishes. A key signs from `activatesAt` until its successor's `activatesAt`, and stays
 * published for a token lifetime after that, so tokens it signed verify until they expire.
 */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, unknown>;

  /** base64 of iv (12 bytes) ‖ auth tag (16 bytes) ‖ ciphertext of the PKCS#8 DER private key. */
  @Column({ name: 'private_key_encrypted', type: 'text' })
  privateKeyEncrypted!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Published before it signs (verifiers have it by then): the rotation's overlap at the start. */
  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt!: Date;
}

import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { DataSource, Repository } from 'typeorm';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { KeyEncryption } from './key-encryption';
import { SigningKeyEntity } from './signing-key.entity';
import { publishedKeysOf, rotationDue, signingKeyOf } from './signing-key.policy';

const ALGORITHM = 'ES256';
/** Keys are read from Postgres at most this often (several registries share them). */
const KEYS_CACHE_MS = 5_000;
/** How often the registry checks whether the rotation period has passed. */
const ROTATION_CHECK_MS = 60 * 60_000;
/** Serialises key creation across registries (pg_advisory_xact_lock). */
const ROTATION_LOCK = 0x66616c6a; // 'falj'

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * The built-in issuer's ES256 keys: created on first boot, rotated every rotation period (or on
 * an operator's request), each new key published `activationDelay` before it signs and kept
 * published a token lifetime after its successor took over. Private keys are decrypted only in
 * memory, on first use.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly encryption: KeyEncryption;
  private cached?: { keys: SigningKeyEntity[]; until: number };
  private readonly decrypted = new Map<string, KeyObject>();
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {
    this.encryption = new KeyEncryption(config.issuer.keyEncryptionKey);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The first key signs at once: no verifier can hold an older key set yet.
    await this.rotateIfDue(0);
    const signer = await this.signingKey();
    this.logger.log({ kid: signer.kid }, 'issuer signing key ready');
    this.timer = setInterval(() => void this.rotateIfDue(this.config.issuer.activationDelayMs).catch((e: Error) => this.logger.warn(`key rotation check failed: ${e.message}`)), ROTATION_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key that signs now, with its private half. */
  async signingKey(): Promise<SigningKey> {
    const key = signingKeyOf(await this.all(), Date.now());
    if (!key) throw new Error('the issuer has no active signing key');
    let privateKey = this.decrypted.get(key.kid);
    if (!privateKey) {
      let der: Buffer;
      try {
        der = this.encryption.decrypt(key.privateKeyEncrypted, key.kid);
      } catch {
        throw new Error(`FALAJ_KEY_ENCRYPTION_KEY does not decrypt signing key ${key.kid}: it is not the key the issuer's keys were stored under`);
      }
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      this.decrypted.set(key.kid, privateKey);
    }
    return { kid: key.kid, privateKey };
  }

  /** The public keys verifiers may meet (RFC 7517). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const published = publishedKeysOf(await this.all(), Date.now(), this.overlapMs());
    return { keys: published.map((k) => k.publicJwk as unknown as JWK) };
  }

  /** Every key with its state, for operators (never the private halves). */
  async list() {
    const all = await this.all(true);
    const now = Date.now();
    const signer = signingKeyOf(all, now)?.kid;
    const published = new Set(publishedKeysOf(all, now, this.overlapMs()).map((k) => k.kid));
    return all.map((k) => ({
      kid: k.kid,
      algorithm: k.algorithm,
      createdAt: k.createdAt,
      activatesAt: k.activatesAt,
      state: k.kid === signer ? 'signing' : k.activatesAt.getTime() > now ? 'next' : published.has(k.kid) ? 'retiring' : 'retired',
    }));
  }

  /** Adds a key that signs after the activation delay; the current one signs until then. */
  async rotate(): Promise<{ kid: string; activatesAt: Date }> {
    const created = await this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK]);
      return this.create(manager.getRepository(SigningKeyEntity), this.config.issuer.activationDelayMs);
    });
    this.cached = undefined;
    this.logger.log({ kid: created.kid, activatesAt: created.activatesAt }, 'issuer signing key rotated');
    return { kid: created.kid, activatesAt: created.activatesAt };
  }

  private async rotateIfDue(delayMs: number): Promise<void> {
    const created = await this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK]);
      const repository = manager.getRepository(SigningKeyEntity);
      if (!rotationDue(await repository.find(), Date.now(), this.config.issuer.rotateAfterMs)) return null;
      return this.create(repository, delayMs);
    });
    this.cached = undefined;
    if (created) this.logger.log({ kid: created.kid, activatesAt: created.activatesAt }, 'issuer signing key created');
  }

  private async create(repository: Repository<SigningKeyEntity>, delayMs: number): Promise<SigningKeyEntity> {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const kid = randomUUID();
    const der = Buffer.from((await exportPKCS8(privateKey)).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    return repository.save(
      repository.create({
        kid,
        algorithm: ALGORITHM,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
        privateKeyEncrypted: this.encryption.encrypt(der, kid),
        activatesAt: new Date(Date.now() + delayMs),
      }),
    );
  }

  /** A retired key stays published while tokens it signed may live (plus the verifiers' skew). */
  private overlapMs(): number {
    return (this.config.issuer.tokenTtlSeconds + this.config.auth.clockToleranceSeconds) * 1000 + 60_000;
  }

  private async all(fresh = false): Promise<SigningKeyEntity[]> {
    if (!fresh && this.cached && this.cached.until > Date.now()) return this.cached.keys;
    const keys = await this.keys.find({ order: { activatesAt: 'ASC' } });
    this.cached = { keys, until: Date.now() + KEYS_CACHE_MS };
    return keys;
  }
}

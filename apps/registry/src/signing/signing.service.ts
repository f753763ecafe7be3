import { readFile } from 'node:fs/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { Principal } from '@falaj/auth';
import {
  SignatureKeyError,
  parseSignatureHeader,
  parseTrustedKey,
  toStorableText,
  verifyArtifactSignature,
  type ArtifactSignatureInfo,
  type SignatureAlgorithm,
  type SignatureLoadRefusal,
  type SignatureRefusal,
} from '@falaj/contracts';
import { CatalogReader } from '../catalog';
import { TenantRecords } from '../tenants/tenant-records';
import { ArtifactSignatureEntity } from './artifact-signature.entity';
import type { SigningPolicy } from './signing.dto';
import { SigningError } from './signing.exception';
import { SigningEventEntity, type SigningAction } from './signing-event.entity';
import { TrustedKeyEntity } from './trusted-key.entity';

/** A signature checked at upload, to be recorded with the version it came with. */
export interface VerifiedSignature {
  keyId: string;
  algorithm: SignatureAlgorithm;
  signature: string;
}

type EventFacts = Partial<Pick<SigningEventEntity, 'model' | 'version' | 'keyId' | 'code' | 'reason'>>;

/**
 * Signed artifacts: a tenant's trusted keys and policy, the check of an upload's signature over
 * its bytes, what a worker needs to check it again, and the signing audit of all of it.
 */
@Injectable()
export class SigningService {
  private readonly logger = new Logger(SigningService.name);

  constructor(
    private readonly tenants: TenantRecords,
    @InjectRepository(TrustedKeyEntity) private readonly keys: Repository<TrustedKeyEntity>,
    @InjectRepository(SigningEventEntity) private readonly events: Repository<SigningEventEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: CatalogReader,
  ) {}

  /**
   * The signature of an upload staged at `localPath`, verified over its bytes against the
   * tenant's live keys; null when none was sent and the tenant does not require one. A refusal is
   * audited, then thrown (422; 400 for a malformed header).
   */
  async verifyUpload(principal: Principal, tenantId: string, model: string, header: string | undefined, localPath: string): Promise<VerifiedSignature | null> {
    const refuse = async (code: SignatureRefusal, message: string, keyId?: string): Promise<never> => {
      await this.audit(tenantId, 'upload.refused', principal.subject, { model, code, reason: message, keyId: keyId ?? null });
      throw SigningError.refused(code, message);
    };
    const tenant = await this.tenant(tenantId);
    if (header === undefined || header.trim() === '') {
      if (!tenant.requireSignatures) return null;
      return refuse('signature_required', `tenant '${tenantId}' requires signed artifacts: send x-falaj-signature: <keyId>:<base64 signature> (docs/signed-artifacts.md)`);
    }
    const parsed = parseSignatureHeader(header);
    if (!parsed) return refuse('signature_malformed', 'x-falaj-signature must be <keyId (16 hex)>:<base64 signature>');
    const key = await this.keys.findOneBy({ tenantId, keyId: parsed.keyId });
    if (!key) return refuse('signature_key_unknown', `key ${parsed.keyId} is not one of tenant '${tenantId}''s trusted keys`, parsed.keyId);
    if (key.revokedAt) return refuse('signature_key_revoked', `key ${parsed.keyId} was revoked at ${key.revokedAt.toISOString()}`, parsed.keyId);
    // Ed25519 has no streaming verify: the artifact is read whole, as onnxruntime reads it anyway.
    const bytes = await readFile(localPath);
    if (!verifyArtifactSignature(bytes, parsed.signature, { algorithm: key.algorithm, spki: key.publicKey })) {
      return refuse('signature_invalid', `the signature is not key ${parsed.keyId}'s over these bytes (${key.algorithm})`, parsed.keyId);
    }
    return { keyId: key.keyId, algorithm: key.algorithm, signature: parsed.signature };
  }

  /** Keeps a version's verified signature, in the transaction that records the version. */
  async record(tx: EntityManager, versionId: string, signature: VerifiedSignature | null): Promise<void> {
    if (signature) await tx.getRepository(ArtifactSignatureEntity).insert({ versionId, ...signature });
  }

  /** What a worker checks before it makes a session of a version (ArtifactSignatureInfoSchema). */
  async signatureInfo(tenantId: string, model: string, version: number): Promise<ArtifactSignatureInfo> {
    const versionId = await this.catalog.versionId(tenantId, model, version);
    const tenant = versionId === null ? null : await this.tenants.find(tenantId);
    if (versionId === null || !tenant) throw SigningError.versionNotFound(tenantId, model, version);
    const required = tenant.requireSignatures;
    const signed = await this.db.getRepository(ArtifactSignatureEntity).findOneBy({ versionId });
    if (!signed) return { required, signature: null };
    const key = await this.keys.findOneBy({ tenantId, keyId: signed.keyId });
    if (!key) return { required, signature: null, refusal: 'signature_key_unknown' };
    if (key.revokedAt) return { required, signature: null, refusal: 'signature_key_revoked' };
    return { required, signature: { keyId: key.keyId, algorithm: signed.algorithm, signature: signed.signature, publicKey: key.publicKey } };
  }

  /**
   * A worker's refusal to load a version for its signature: audited under its tenant. Only for a
   * version that exists (404 otherwise), so a report can never write an audit row about a tenant's
   * model that is not there.
   */
  async recordLoadRefusal(worker: Principal, refusal: SignatureLoadRefusal): Promise<void> {
    await this.tenant(refusal.tenantId);
    if ((await this.catalog.versionId(refusal.tenantId, refusal.model, refusal.version)) === null) {
      throw SigningError.versionNotFound(refusal.tenantId, refusal.model, refusal.version);
    }
    await this.audit(refusal.tenantId, 'load.refused', worker.subject, { model: refusal.model, version: refusal.version, code: refusal.refusal, reason: refusal.reason });
  }

  async policy(tenantId: string): Promise<SigningPolicy> {
    return { requireSignatures: (await this.tenant(tenantId)).requireSignatures };
  }

  async setPolicy(tenantId: string, policy: SigningPolicy, actor: string): Promise<SigningPolicy> {
    await this.db.transaction(async (tx) => {
      if (!(await this.tenants.update(tx, tenantId, { requireSignatures: policy.requireSignatures }))) throw SigningError.tenantNotFound(tenantId);
      await this.audit(tenantId, 'policy.set', actor, { code: policy.requireSignatures ? 'required' : 'optional' }, tx);
    });
    return policy;
  }

  /** Adds a PEM public key (Ed25519 or ECDSA P-256, told from the key); its id is its fingerprint. */
  async addKey(tenantId: string, pem: string, actor: string): Promise<TrustedKeyEntity> {
    await this.tenant(tenantId);
    let parsed: ReturnType<typeof parseTrustedKey>;
    try {
      parsed = parseTrustedKey(pem);
    } catch (error) {
      if (error instanceof SignatureKeyError) throw SigningError.invalidKey(error.message);
      throw error;
    }
    return this.db.transaction(async (tx) => {
      const keys = tx.getRepository(TrustedKeyEntity);
      if (await keys.existsBy({ tenantId, keyId: parsed.keyId })) throw SigningError.keyExists(tenantId, parsed.keyId);
      const saved = await keys.save(keys.create({ tenantId, keyId: parsed.keyId, algorithm: parsed.algorithm, publicKey: parsed.spki, createdBy: actor, revokedAt: null, revokedBy: null }));
      await this.audit(tenantId, 'key.added', actor, { keyId: saved.keyId, code: saved.algorithm }, tx);
      return saved;
    });
  }

  async listKeys(tenantId: string): Promise<TrustedKeyEntity[]> {
    await this.tenant(tenantId);
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** Revokes a key: nothing it signed verifies any more, at upload or at load. Revoking twice changes nothing. */
  async revokeKey(tenantId: string, keyId: string, actor: string): Promise<TrustedKeyEntity> {
    return this.db.transaction(async (tx) => {
      const keys = tx.getRepository(TrustedKeyEntity);
      const key = await keys.createQueryBuilder('k').setLock('pessimistic_write').where({ tenantId, keyId }).getOne();
      if (!key) throw SigningError.keyNotFound(tenantId, keyId);
      if (key.revokedAt) return key;
      Object.assign(key, { revokedAt: new Date(), revokedBy: actor });
      await keys.save(key);
      await this.audit(tenantId, 'key.revoked', actor, { keyId }, tx);
      return key;
    });
  }

  /** Forgets the tenant's trusted keys, revoked ones too (its deletion): a tenant made again under the same id trusts none of them. */
  async deleteKeys(tenantId: string): Promise<void> {
    await this.keys.delete({ tenantId });
  }

  /** The tenant's signing audit, newest first. */
  async auditTrail(tenantId: string, limit: number): Promise<SigningEventEntity[]> {
    await this.tenant(tenantId);
    return this.events.find({ where: { tenantId }, order: { occurredAt: 'DESC' }, take: limit });
  }

  private async tenant(id: string): Promise<{ requireSignatures: boolean }> {
    const tenant = await this.tenants.find(id);
    if (!tenant) throw SigningError.tenantNotFound(id);
    return tenant;
  }

  private async audit(tenantId: string, action: SigningAction, actor: string, facts: EventFacts, tx: EntityManager = this.db.manager): Promise<void> {
    const row = {
      tenantId,
      action,
      actor: toStorableText(actor, 200) || '-',
      model: facts.model ? toStorableText(facts.model, 128) : null,
      version: facts.version ?? null,
      keyId: facts.keyId ?? null,
      code: facts.code ?? null,
      reason: facts.reason ? toStorableText(facts.reason, 500) : null,
    };
    await tx.getRepository(SigningEventEntity).insert(row);
    this.logger.log({ tenant: tenantId, action, actor: row.actor, model: row.model, version: row.version, keyId: row.keyId, code: row.code }, 'signing audit');
  }
}

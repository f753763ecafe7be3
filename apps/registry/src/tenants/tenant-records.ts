import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, Not, type DataSource, type EntityManager } from 'typeorm';
import type { PayloadLogging } from '@falaj/contracts';
import { TenantEntity } from './tenant.entity';
import { TenantsError } from './tenants.exception';

/** What other modules change on a tenant's row, each the owner of its field (quotas, retention, signing). */
export type TenantChange = Partial<Pick<TenantEntity, 'quota' | 'auditRetentionDays' | 'jobRetentionDays' | 'requireSignatures'>>;

/**
 * The tenants' rows, for the modules that read them or keep a field of them (the mirrors, quotas,
 * retention, signing, the identities, rollouts): the only code beside TenantsService that touches the
 * tenants table. Its own module, so that a module TenantsModule imports can use it without a
 * cycle. Writes take the caller's transaction first; reads take it last, optional (the pool when
 * absent), as the catalog's do.
 */
@Injectable()
export class TenantRecords {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  find(id: string, tx: EntityManager = this.db.manager): Promise<TenantEntity | null> {
    return tx.getRepository(TenantEntity).findOneBy({ id });
  }

  /** The tenant, or TenantsError.notFound. */
  async get(id: string, tx: EntityManager = this.db.manager): Promise<TenantEntity> {
    const tenant = await this.find(id, tx);
    if (!tenant) throw TenantsError.notFound(id);
    return tenant;
  }

  /** The tenant's residency region; undefined when there is no such tenant. */
  async residency(id: string, tx: EntityManager = this.db.manager): Promise<string | undefined> {
    return (await tx.getRepository(TenantEntity).findOne({ where: { id }, select: { residency: true } }))?.residency;
  }

  /** Locks the tenant's row until `tx` ends (FOR UPDATE); false when there is no such tenant. */
  async lock(tx: EntityManager, id: string): Promise<boolean> {
    return (await tx.getRepository(TenantEntity).createQueryBuilder('t').setLock('pessimistic_write').where({ id }).getOne()) !== null;
  }

  /** False when there is no such tenant. */
  async update(tx: EntityManager, id: string, change: TenantChange): Promise<boolean> {
    const { affected } = await tx.getRepository(TenantEntity).update({ id }, change);
    return Boolean(affected);
  }

  /** Every tenant whose payload policy is not `none` (PayloadPolicyMirror). */
  payloadPolicies(): Promise<Pick<TenantEntity, 'id' | 'payloadLogging'>[]> {
    return this.db.getRepository(TenantEntity).find({ where: { payloadLogging: Not<PayloadLogging>('none') }, select: { id: true, payloadLogging: true } });
  }

  countWithQuota(): Promise<number> {
    return this.db.getRepository(TenantEntity).count({ where: { quota: Not(IsNull()) } });
  }

  /** Every tenant that has a quota record (QuotaMirror). */
  withQuota(): Promise<TenantEntity[]> {
    return this.db.getRepository(TenantEntity).find({ where: { quota: Not(IsNull()) } });
  }

  /** Every tenant's retention (a retention pass). */
  retentions(): Promise<Pick<TenantEntity, 'id' | 'auditRetentionDays' | 'jobRetentionDays'>[]> {
    return this.db.getRepository(TenantEntity).find({ select: { id: true, auditRetentionDays: true, jobRetentionDays: true } });
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ModelQuotaRecord, TenantQuotaRecord } from '@falaj/contracts';
import { CatalogRepository, type ModelEntity } from '../catalog';
import { ModelsError } from '../models/models.exception';
import { TenantRecords } from '../tenants/tenant-records';
import { TenantsError } from '../tenants/tenants.exception';
import { QuotaMirror } from './quota.mirror';
import { QuotasError } from './quotas.exception';

/**
 * Quota records: a tenant's on its row, a model's on the model's, each change mirrored to Redis
 * inside the transaction that makes it. The row lock orders concurrent changes of one record the
 * same way in both stores, and a Redis that refuses the write rolls the change back, so an error
 * answered to the caller means nothing changed.
 */
@Injectable()
export class QuotasService {
  private readonly logger = new Logger(QuotasService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: CatalogRepository,
    private readonly mirror: QuotaMirror,
    private readonly tenants: TenantRecords,
  ) {}

  async tenantQuota(tenantId: string): Promise<TenantQuotaRecord> {
    const tenant = await this.tenants.get(tenantId);
    if (!tenant.quota) throw QuotasError.noTenantQuota(tenantId);
    return tenant.quota;
  }

  async setTenantQuota(tenantId: string, quota: TenantQuotaRecord | null, actor: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.tenants.lock(tx, tenantId))) throw TenantsError.notFound(tenantId);
      await this.tenants.update(tx, tenantId, { quota });
      await (quota ? this.mirror.setTenant(tenantId, quota) : this.mirror.removeTenant(tenantId));
    });
    this.logger.log({ tenant: tenantId, quota, actor }, quota ? 'tenant quota set' : 'tenant quota removed');
  }

  modelQuota(model: ModelEntity): ModelQuotaRecord {
    if (!model.quota) throw QuotasError.noModelQuota(model.name);
    return model.quota;
  }

  async setModelQuota(model: ModelEntity, quota: ModelQuotaRecord | null, actor: string): Promise<void> {
    await this.catalog.changeModel(model.id, async (tx) => {
      // Deleted since it was read: nothing to set, and nothing must reach the mirror.
      if (!(await this.catalog.setModelQuota(tx, model.id, quota))) throw ModelsError.notFound(model.name);
      await (quota ? this.mirror.setModel(model.tenantId, model.name, quota) : this.mirror.removeModel(model.tenantId, model.name));
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, quota, actor }, quota ? 'model quota set' : 'model quota removed');
  }
}

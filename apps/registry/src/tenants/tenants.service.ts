import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { AuditPolicy } from '@falaj/contracts';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { CatalogReader } from '../catalog';
import { TenantKafkaProvisioner } from '../kafka-access/tenant-kafka.provisioner';
import { OAuthClientsService } from '../oauth/oauth-clients.service';
import { PayloadPolicyMirror } from '../payload-logging/payload-policy.mirror';
import { SigningService } from '../signing/signing.service';
import { AuditPolicyMirror } from './audit-policy.mirror';
import type { CreateTenantDto, UpdateTenantDto } from './tenants.dto';
import { TenantEntity } from './tenant.entity';
import { TenantRecords } from './tenant-records';
import { TenantsError } from './tenants.exception';

@Injectable()
export class TenantsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(TenantsService.name);

  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    private readonly clients: OAuthClientsService,
    private readonly apiKeys: ApiKeysService,
    private readonly signing: SigningService,
    private readonly catalog: CatalogReader,
    private readonly kafka: TenantKafkaProvisioner,
    private readonly payloadPolicies: PayloadPolicyMirror,
    private readonly auditPolicies: AuditPolicyMirror,
    private readonly records: TenantRecords,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /**
   * Every tenant's Kafka place again at boot: tenants made before per-tenant Kafka principals, a
   * broker formatted afresh (dev), or a provisioning cut short all come right here.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.kafka.provision(...(await this.tenants.find({ select: { id: true } })).map((t) => t.id));
  }

  /** Its Kafka place (ACLs, default reply topic) first: a tenant is never made without one. */
  async create(dto: CreateTenantDto): Promise<TenantEntity> {
    if (await this.tenants.existsBy({ id: dto.id })) throw TenantsError.exists(dto.id);
    await this.kafka.provision(dto.id);
    // A must-audit tenant is made with its policy in Redis, or not at all.
    const tenant = await this.db.transaction(async (tx) => {
      const made = await tx.getRepository(TenantEntity).save(this.tenants.create({ ...dto, quota: null }));
      if (made.mustAudit) await this.auditPolicies.set(made.id, { mustAudit: true });
      return made;
    });
    await this.payloadPolicies.setTenant(tenant.id, tenant.payloadLogging);
    return tenant;
  }

  /** Its payload-logging policy, in force on every edge within a moment (the mirror's channel). */
  async update(id: string, dto: UpdateTenantDto): Promise<TenantEntity> {
    const tenant = await this.get(id);
    const saved = await this.tenants.save(Object.assign(tenant, dto));
    await this.payloadPolicies.setTenant(id, saved.payloadLogging);
    return saved;
  }

  /**
   * Sets a tenant's audit policy, mirrored to Redis inside the transaction that makes it (the row
   * locked), so an error answered to the caller means nothing changed; every gateway applies it
   * within a second.
   */
  async setAuditPolicy(id: string, policy: AuditPolicy, actor: string): Promise<AuditPolicy> {
    await this.db.transaction(async (tx) => {
      const tenants = tx.getRepository(TenantEntity);
      const locked = await tenants.createQueryBuilder('t').setLock('pessimistic_write').where({ id }).getOne();
      if (!locked) throw TenantsError.notFound(id);
      await tenants.update({ id }, { mustAudit: policy.mustAudit });
      await this.auditPolicies.set(id, policy);
    });
    this.logger.log({ tenant: id, mustAudit: policy.mustAudit, actor }, 'tenant audit policy set');
    return policy;
  }

  get(id: string): Promise<TenantEntity> {
    return this.records.get(id);
  }

  /**
   * Deletes a tenant that holds nothing any more (no live client or API key, no model), with its
   * Kafka ACLs and reply topics. Refused while it does: what it holds would outlive it.
   */
  async delete(id: string): Promise<TenantEntity> {
    const tenant = await this.get(id);
    const [clients, apiKeys, models] = await Promise.all([this.clients.countLive(id), this.apiKeys.countLive(id), this.catalog.countModels(id)]);
    if (clients + apiKeys + models > 0) throw TenantsError.notEmpty(id, { clients, apiKeys, models });
    await this.kafka.deprovision(id);
    // Its trusted keys go with it: a tenant made again under the same id trusts none of them.
    await this.signing.deleteKeys(id);
    await this.tenants.delete({ id });
    await this.payloadPolicies.setTenant(id, 'none');
    await this.auditPolicies.set(id, { mustAudit: false });
    return tenant;
  }
}

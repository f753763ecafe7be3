import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { TenantKafkaProvisioner } from '../kafka-access/tenant-kafka.provisioner';
import { ModelEntity } from '../models/model.entity';
import { OAuthClientEntity } from '../oauth/oauth-client.entity';
import { PayloadPolicyMirror } from '../payload-logging/payload-policy.mirror';
import type { CreateTenantDto, UpdateTenantDto } from './tenants.dto';
import { TenantEntity } from './tenant.entity';
import { TenantsError } from './tenants.exception';

@Injectable()
export class TenantsService implements OnApplicationBootstrap {
  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @InjectRepository(OAuthClientEntity) private readonly clients: Repository<OAuthClientEntity>,
    @InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>,
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    private readonly kafka: TenantKafkaProvisioner,
    private readonly payloadPolicies: PayloadPolicyMirror,
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
    const tenant = await this.tenants.save(this.tenants.create({ ...dto, quota: null }));
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

  async get(id: string): Promise<TenantEntity> {
    const tenant = await this.tenants.findOneBy({ id });
    if (!tenant) throw TenantsError.notFound(id);
    return tenant;
  }

  /**
   * Deletes a tenant that holds nothing any more (no live client or API key, no model), with its
   * Kafka ACLs and reply topics. Refused while it does: what it holds would outlive it.
   */
  async delete(id: string): Promise<TenantEntity> {
    const tenant = await this.get(id);
    const [clients, apiKeys, models] = await Promise.all([
      this.clients.countBy({ tenantId: id, revokedAt: IsNull() }),
      this.apiKeys.countBy({ tenantId: id, revokedAt: IsNull() }),
      this.models.countBy({ tenantId: id }),
    ]);
    if (clients + apiKeys + models > 0) throw TenantsError.notEmpty(id, { clients, apiKeys, models });
    await this.kafka.deprovision(id);
    await this.tenants.delete({ id });
    await this.payloadPolicies.setTenant(id, 'none');
    return tenant;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TokenService, type Principal } from '@falaj/auth';
import type { CreateTenantDto, IssueTokenDto } from './tenants.dto';
import { TenantEntity } from './tenant.entity';
import { TenantsError } from './tenants.exception';

@Injectable()
export class TenantsService {
  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    private readonly tokens: TokenService,
  ) {}

  async create(dto: CreateTenantDto): Promise<TenantEntity> {
    if (await this.tenants.existsBy({ id: dto.id })) throw TenantsError.exists(dto.id);
    return this.tenants.save(this.tenants.create({ ...dto, quota: null }));
  }

  async get(id: string): Promise<TenantEntity> {
    const tenant = await this.tenants.findOneBy({ id });
    if (!tenant) throw TenantsError.notFound(id);
    return tenant;
  }

  async issueToken(tenantId: string, dto: IssueTokenDto): Promise<{ token: string; expiresAt: string }> {
    const tenant = await this.get(tenantId);
    const principal: Principal = { subject: dto.subject, tenantId, scopes: dto.scopes, residency: tenant.residency };
    const token = await this.tokens.sign(principal, dto.ttlSeconds);
    return { token, expiresAt: new Date(Date.now() + dto.ttlSeconds * 1000).toISOString() };
  }
}

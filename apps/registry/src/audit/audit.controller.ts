import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { AuditRecordEntity } from './audit-record.entity';
import { AuditQuerySchema, type AuditQuery } from './audit.dto';

@Controller('admin/audit')
export class AuditController {
  constructor(@InjectRepository(AuditRecordEntity) private readonly records: Repository<AuditRecordEntity>) {}

  /** The caller's tenant's inference calls, newest first. */
  @Get()
  @RequireScopes(SCOPES.auditRead)
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(AuditQuerySchema)) query: AuditQuery) {
    const records = await this.records.find({
      where: {
        tenantId: principal.tenantId,
        ...(query.model ? { model: query.model } : {}),
        ...(query.requestId ? { requestId: query.requestId } : {}),
      },
      order: { occurredAt: 'DESC' },
      take: query.limit,
    });
    return { records };
  }
}

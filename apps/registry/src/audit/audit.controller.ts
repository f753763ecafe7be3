import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { AuditRecordEntity } from './audit-record.entity';
import { AuditQuerySchema, type AuditQuery } from './audit.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('admin/audit')
export class AuditController {
  constructor(@InjectRepository(AuditRecordEntity) private readonly records: Repository<AuditRecordEntity>) {}

  /** The caller's tenant's inference calls, newest first. */
  @Get()
  @RequireScopes(SCOPES.auditRead)
  @ApiOperation({ summary: "The tenant's inference calls, newest first (one row per call, partitioned by residency region)" })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'requestId', required: false })
  @ApiQuery({ name: 'limit', required: false, example: 100 })
  @ApiOkResponse({
    schema: {
      example: {
        records: [
          { eventId: '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f', requestId: '7c1e…', residencyRegion: 'ae', tenantId: 'acme', subject: 'alice', model: 'fraud-scorer', version: 3, pool: 'cpu.ae', protocol: 'rest', status: 200, error: null, latencyMs: 2.1, servedRegion: 'ae', placement: 'fixed: deployment hardware cpu', occurredAt: '2026-11-28T12:00:00.000Z' },
        ],
      },
    },
  })
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

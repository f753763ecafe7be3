import { Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequireAnyScope, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { EXPORT_FORMATS, exportDisposition, openExport } from './audit-export.format';
import { auditScopeOf } from './audit-query.policy';
import { AUDIT_EXPORT_MAX, AUDIT_FORMATS, AUDIT_PAGE_MAX, AuditQuerySchema, type AuditQuery } from './audit.dto';
import { AuditReader } from './audit.reader';

const EXAMPLE = {
  eventId: '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f',
  requestId: '7c1e…',
  residencyRegion: 'ae',
  tenantId: 'acme',
  subject: 'alice',
  model: 'fraud-scorer',
  version: 3,
  pool: 'cpu.ae',
  protocol: 'rest',
  status: 200,
  error: null,
  latencyMs: 2.1,
  servedRegion: 'ae',
  placement: 'fixed: deployment hardware cpu',
  occurredAt: '2026-11-28T12:00:00.000Z',
};

@ApiTags('audit')
@ApiBearerAuth()
@Controller('admin/audit')
export class AuditController {
  private readonly logger = new Logger(AuditController.name);

  constructor(private readonly reader: AuditReader) {}

  /** A tenant's inference calls (the platform admin: every tenant's), newest first, a page or an export. */
  @Get()
  @RequireAnyScope(SCOPES.auditRead, SCOPES.platformAdmin)
  @ApiOperation({ summary: "Inference calls, newest first: the caller's tenant's (audit:read), or any tenant's (platform:admin); a page with a cursor, or an NDJSON/CSV export" })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'version', required: false, type: Number })
  @ApiQuery({ name: 'status', required: false, description: 'an HTTP status (404) or a class (5xx)' })
  @ApiQuery({ name: 'protocol', required: false, enum: ['rest', 'grpc', 'kafka', 'batch', 'async'] })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'requestId', required: false })
  @ApiQuery({ name: 'tenant', required: false, description: "platform admin: one tenant's rows; a tenant's account: only its own (another is 403)" })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page, with the same filters' })
  @ApiQuery({ name: 'limit', required: false, description: `a page: 1…${AUDIT_PAGE_MAX} (100); an export: 1…${AUDIT_EXPORT_MAX} (every matching row)` })
  @ApiQuery({ name: 'format', required: false, enum: AUDIT_FORMATS })
  @ApiProduces('application/json', EXPORT_FORMATS.ndjson.contentType, EXPORT_FORMATS.csv.contentType)
  @ApiOkResponse({ schema: { example: { records: [EXAMPLE], nextCursor: 'WyIyMDI2LTExLTI4VDEyOjAwOjAwLjAwMDAwMFoiLCIzZjBj…' } } })
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(AuditQuerySchema)) query: AuditQuery, @Res() reply: FastifyReply): Promise<void> {
    const scope = auditScopeOf(principal, query.tenant);
    if (query.format === 'json') return void (await reply.send(await this.reader.page(scope, query)));

    const body = await openExport(this.reader.batches(scope, query), query.format);
    this.logger.log({ subject: principal.subject, tenant: principal.tenantId, scope: scope.tenantId ?? '*', format: query.format }, 'audit export');
    await reply
      .header('content-type', EXPORT_FORMATS[query.format].contentType)
      .header('content-disposition', exportDisposition(scope, query.format, new Date()))
      .send(body);
  }
}

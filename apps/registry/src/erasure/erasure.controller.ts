import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireAnyScope, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { ErasureRequestSchema, type ErasureRequest } from './erasure.dto';
import { erasureTenantOf } from './erasure.policy';
import { ErasureService } from './erasure.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('admin/audit/erasure')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Post()
  @HttpCode(200)
  @RequireAnyScope(SCOPES.auditErase, SCOPES.platformAdmin)
  @ApiOperation({
    summary: "Erase a data subject's records (audit rows, payload records, its ended jobs' rows) and/or named calls' (request ids), in one tenant",
    description: "A tenant's account with audit:erase erases in its own tenant; a platform admin names the tenant. The answer is the erasure's record: what was removed, counted.",
  })
  @ZodBody(ErasureRequestSchema, { subject: 'alice@example.com', requestIds: ['order-17'] })
  @ApiOkResponse({
    schema: {
      example: {
        id: '0c6f…',
        tenantId: 'acme',
        requestedBy: 'dpo',
        subjectHash: '9f2c…',
        requestIds: 1,
        counts: { auditRows: 12, payloadRows: 3, jobs: 1, jobRows: 200, jobsNotEnded: 0 },
        requestedAt: '2026-12-02T07:00:00.000Z',
      },
    },
  })
  erase(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(ErasureRequestSchema)) body: ErasureRequest) {
    const tenantId = erasureTenantOf(principal, body.tenant);
    return this.erasure.erase({ tenantId, subject: body.subject, requestIds: body.requestIds, requestedBy: principal.subject });
  }
}

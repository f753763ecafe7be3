import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { TenantRetentionSchema, type TenantRetentionDto } from './retention.dto';
import { RetentionService } from './retention.service';

const EXAMPLE = { auditRetentionDays: 90, jobRetentionDays: null, effective: { auditDays: 90, jobDays: 30 } };

/** Platform administration: how long a tenant's audit rows and ended jobs' rows are kept. */
@ApiTags('retention')
@ApiBearerAuth()
@Controller('admin/tenants/:id/retention')
@RequireScopes(SCOPES.platformAdmin)
export class TenantRetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get()
  @ApiOperation({ summary: "A tenant's retention: its own days (null: the platform's default) and the days that apply" })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "tenant 'acme' not found" } } })
  get(@Param('id') id: string) {
    return this.retention.tenantRetention(id);
  }

  @Put()
  @ApiOperation({
    summary: "Set a tenant's retention, whole: days (1..3650) for audit rows and for ended jobs' rows; null or left out: the platform's default",
    description: 'Applied by the next retention pass (FALAJ_RETENTION_INTERVAL_SECONDS, or POST /admin/retention/run).',
  })
  @ZodBody(TenantRetentionSchema, { auditRetentionDays: 90, jobRetentionDays: null })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'auditRetentionDays: Too big: expected number to be <=3650' } } })
  put(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(TenantRetentionSchema)) retention: TenantRetentionDto) {
    return this.retention.setTenantRetention(id, retention, principal.subject);
  }
}

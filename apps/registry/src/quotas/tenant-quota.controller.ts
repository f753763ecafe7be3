import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { TenantQuotaRecordSchema, type TenantQuotaRecord } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { QuotasService } from './quotas.service';

const EXAMPLE = { rps: 50, burst: 100, concurrency: 32 };

/** Platform administration: a tenant's quota, over the gateways' FALAJ_QUOTAS, without a restart. */
@ApiTags('quotas')
@ApiBearerAuth()
@Controller('admin/tenants/:id/quota')
@RequireScopes(SCOPES.platformAdmin)
export class TenantQuotaController {
  constructor(private readonly quotas: QuotasService) {}

  @Get()
  @ApiOperation({ summary: "A tenant's quota record" })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "tenant 'acme' has no quota record (the gateways' FALAJ_QUOTAS applies)" } } })
  get(@Param('id') id: string) {
    return this.quotas.tenantQuota(id);
  }

  @Put()
  @ApiOperation({
    summary: "Set a tenant's quota: a token bucket (rps and burst, together) and/or requests in flight per gateway (concurrency)",
    description:
      'Replaces, whole, whatever FALAJ_QUOTAS says for the tenant (its entry or the default). Every gateway and the Kafka bridge apply it within a second; beyond it requests get 429 with Retry-After.',
  })
  @ZodBody(TenantQuotaRecordSchema, EXAMPLE)
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'burst: rps and burst go together: burst is missing' } } })
  async put(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(TenantQuotaRecordSchema)) quota: TenantQuotaRecord) {
    await this.quotas.setTenantQuota(id, quota, principal.subject);
    return quota;
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a tenant's quota record: FALAJ_QUOTAS applies again (idempotent)" })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.quotas.setTenantQuota(id, null, principal.subject);
  }
}

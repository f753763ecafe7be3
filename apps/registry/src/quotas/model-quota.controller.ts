import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ModelQuotaRecordSchema, type ModelQuotaRecord } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { ModelsService } from '../models/models.service';
import { ZodBody } from '../openapi/zod-openapi';
import { QuotasService } from './quotas.service';

const EXAMPLE = { rps: 20, burst: 40 };

/** A model's own token bucket, drawn from beside its tenant's; set by the tenant's operators. */
@ApiTags('quotas')
@ApiBearerAuth()
@Controller('admin/models/:name/quota')
export class ModelQuotaController {
  constructor(
    private readonly models: ModelsService,
    private readonly quotas: QuotasService,
  ) {}

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "A model's quota record" })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "model 'fraud-scorer' has no quota record (the gateways' FALAJ_QUOTAS applies)" } } })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    return this.quotas.modelQuota(await this.models.get(principal, name));
  }

  @Put()
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({
    summary: "Set a model's token bucket (rps and burst); a request draws from it and from its tenant's",
    description: 'Replaces what FALAJ_QUOTAS says for `tenant/model`. Every gateway and the Kafka bridge apply it within a second.',
  })
  @ZodBody(ModelQuotaRecordSchema, EXAMPLE)
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'burst: Invalid input: expected number, received undefined' } } })
  async put(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(ModelQuotaRecordSchema)) quota: ModelQuotaRecord) {
    await this.quotas.setModelQuota(await this.models.get(principal, name), quota, principal.subject);
    return quota;
  }

  @Delete()
  @HttpCode(204)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: "Remove a model's quota record: FALAJ_QUOTAS applies again (idempotent)" })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() principal: Principal, @Param('name') name: string): Promise<void> {
    await this.quotas.setModelQuota(await this.models.get(principal, name), null, principal.subject);
  }
}

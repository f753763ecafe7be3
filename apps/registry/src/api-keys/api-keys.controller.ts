import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { CreateApiKeySchema, type CreateApiKeyDto } from '../tenants/tenants.dto';
import { ApiKeysService, toApiKeyView } from './api-keys.service';

const EXAMPLE = { id: '3f9a1c0b7d2e', tenantId: 'acme', name: 'ci pipeline', scopes: ['infer'], createdBy: 'platform-admin', createdAt: '2026-11-28T12:00:00.000Z', revokedAt: null };

/** Platform administration: a tenant's API keys (hashed at rest, shown once, revocable, scoped). */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('admin/tenants/:id/api-keys')
@RequireScopes(SCOPES.platformAdmin)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Issue an API key to a tenant; the key is in this response only',
    description: 'Use it as `Authorization: Bearer fj_…` (or `ApiKey fj_…`) on every protocol. Revocation takes effect within 5 seconds.',
  })
  @ZodBody(CreateApiKeySchema, { name: 'ci pipeline', scopes: ['infer', 'models:read'] })
  @ApiCreatedResponse({ schema: { example: { ...EXAMPLE, key: 'fj_3f9a1c0b7d2e_Zx8…(43 characters)' } } })
  create(@CurrentPrincipal() principal: Principal, @Param('id') tenantId: string, @Body(new ZodPipe(CreateApiKeySchema)) dto: CreateApiKeyDto) {
    return this.keys.create(tenantId, dto, principal.subject);
  }

  @Get()
  @ApiOperation({ summary: "A tenant's API keys (never the keys themselves)" })
  @ApiOkResponse({ schema: { example: { apiKeys: [EXAMPLE] } } })
  async list(@Param('id') tenantId: string) {
    return { apiKeys: (await this.keys.list(tenantId)).map(toApiKeyView) };
  }

  @Delete(':keyId')
  @ApiOperation({ summary: 'Revoke an API key (idempotent)' })
  @ApiOkResponse({ schema: { example: { ...EXAMPLE, revokedAt: '2026-11-28T13:00:00.000Z' } } })
  async revoke(@Param('id') tenantId: string, @Param('keyId') id: string) {
    return toApiKeyView(await this.keys.revoke(tenantId, id));
  }
}

import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { CreateClientSchema, type CreateClientDto } from './oauth.dto';
import { OAuthClientsService, toClientView } from './oauth-clients.service';

const EXAMPLE = { clientId: 'acme.3f9a1c0b7d2e', tenantId: 'acme', name: 'fraud pipeline', scopes: ['infer'], createdBy: 'falaj-admin', createdAt: '2026-12-01T12:00:00.000Z', revokedAt: null };

/**
 * Platform administration: a tenant's OAuth2 clients (service accounts) at the built-in issuer.
 * `_platform` as the tenant names the platform's own accounts (operators and apps).
 */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('admin/tenants/:id/clients')
@RequireScopes(SCOPES.platformAdmin)
export class OAuthClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a client (service account); its secret is in this response only',
    description: 'Exchange the id and secret for short-lived access tokens at `/oauth2/token` (grant_type=client_credentials).',
  })
  @ZodBody(CreateClientSchema, { name: 'fraud pipeline', scopes: ['infer', 'models:read'] })
  @ApiCreatedResponse({ schema: { example: { ...EXAMPLE, clientSecret: 'Zx8…(43 characters)' } } })
  create(@CurrentPrincipal() principal: Principal, @Param('id') tenantId: string, @Body(new ZodPipe(CreateClientSchema)) dto: CreateClientDto) {
    return this.clients.create(tenantId, dto, principal.subject);
  }

  @Get()
  @ApiOperation({ summary: "A tenant's clients (never their secrets)" })
  @ApiOkResponse({ schema: { example: { clients: [EXAMPLE] } } })
  async list(@Param('id') tenantId: string) {
    return { clients: (await this.clients.list(tenantId)).map(toClientView) };
  }

  @Delete(':clientId')
  @ApiOperation({ summary: 'Revoke a client (idempotent): no new tokens, and its live tokens are refused within seconds' })
  @ApiOkResponse({ schema: { example: { ...EXAMPLE, revokedAt: '2026-12-01T13:00:00.000Z' } } })
  async revoke(@Param('id') tenantId: string, @Param('clientId') clientId: string) {
    return toClientView(await this.clients.revoke(tenantId, clientId));
  }
}

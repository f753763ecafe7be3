import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { AddTrustedKeySchema, SigningEventsQuerySchema, SigningPolicySchema, type AddTrustedKeyDto, type SigningEventsQuery, type SigningPolicy } from './signing.dto';
import { SigningService } from './signing.service';
import { TRUSTED_KEY_EXAMPLE, toTrustedKeyView } from './trusted-keys.view';

/**
 * Platform administration of signed artifacts (like the tenant's other settings): whether a
 * tenant requires signatures, the public keys it trusts, and its signing audit.
 */
@ApiTags('signing')
@ApiBearerAuth()
@Controller('admin/tenants/:id')
@RequireScopes(SCOPES.platformAdmin)
export class TenantSigningController {
  constructor(private readonly signing: SigningService) {}

  @Get('signing-policy')
  @ApiOperation({ summary: "A tenant's signing policy" })
  @ApiOkResponse({ schema: { example: { requireSignatures: true } } })
  policy(@Param('id') id: string): Promise<SigningPolicy> {
    return this.signing.policy(id);
  }

  @Put('signing-policy')
  @ApiOperation({
    summary: "Set a tenant's signing policy",
    description:
      'requireSignatures: every upload must carry `x-falaj-signature: <keyId>:<base64>` by a live trusted key (422 `signature_required` otherwise), and every worker verifies the bytes it downloaded before it makes a session (load state `failed`, reason `signature_…`). Versions uploaded before without a signature no longer load.',
  })
  @ZodBody(SigningPolicySchema, { requireSignatures: true })
  @ApiOkResponse({ schema: { example: { requireSignatures: true } } })
  setPolicy(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(SigningPolicySchema)) policy: SigningPolicy): Promise<SigningPolicy> {
    return this.signing.setPolicy(id, policy, principal.subject);
  }

  @Post('trusted-keys')
  @ApiOperation({ summary: 'Trust a public key (PEM, Ed25519 or ECDSA P-256, told from the key); the answer names its key id' })
  @ZodBody(AddTrustedKeySchema, { publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n' })
  @ApiCreatedResponse({ schema: { example: TRUSTED_KEY_EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'not a trusted-key candidate: unsupported key type rsa: use Ed25519 or ECDSA P-256' } } })
  @ApiConflictResponse({ schema: { example: { error: "tenant 'acme' already has key 3f9a0c1d2b4e5f60 (a revoked key stays revoked: make a new one)" } } })
  async addKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(AddTrustedKeySchema)) dto: AddTrustedKeyDto) {
    return toTrustedKeyView(await this.signing.addKey(id, dto.publicKey, principal.subject));
  }

  @Get('trusted-keys')
  @ApiOperation({ summary: "A tenant's trusted keys, live and revoked, oldest first" })
  @ApiOkResponse({ schema: { example: { keys: [TRUSTED_KEY_EXAMPLE] } } })
  async listKeys(@Param('id') id: string) {
    return { keys: (await this.signing.listKeys(id)).map(toTrustedKeyView) };
  }

  @Delete('trusted-keys/:keyId')
  @ApiOperation({ summary: 'Revoke a trusted key: nothing it signed verifies any more, at upload or at a worker' })
  @ApiOkResponse({ schema: { example: { ...TRUSTED_KEY_EXAMPLE, revokedAt: '2026-12-03T11:00:00.000Z', revokedBy: 'e2e-admin' } } })
  @ApiNotFoundResponse({ schema: { example: { error: "tenant 'acme' has no trusted key 3f9a0c1d2b4e5f60" } } })
  async revokeKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('keyId') keyId: string) {
    return toTrustedKeyView(await this.signing.revokeKey(id, keyId, principal.subject));
  }

  @Get('signing-audit')
  @ApiOperation({ summary: "The tenant's signing audit, newest first: policy and key changes, uploads and loads refused for their signature" })
  @ApiOkResponse({
    schema: {
      example: {
        events: [{ action: 'load.refused', actor: 'cpu-worker', model: 'scorer', version: 1, keyId: null, code: 'signature_invalid', reason: '…', occurredAt: '2026-12-03T11:00:00.000Z' }],
      },
    },
  })
  async auditTrail(@Param('id') id: string, @Query(new ZodPipe(SigningEventsQuerySchema)) query: SigningEventsQuery) {
    const events = await this.signing.auditTrail(id, query.limit);
    return { events: events.map(({ id: _id, tenantId: _tenant, ...event }) => event) };
  }
}

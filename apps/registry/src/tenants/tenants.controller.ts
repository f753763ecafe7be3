import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { CreateTenantSchema, IssueTokenSchema, type CreateTenantDto, type IssueTokenDto } from './tenants.dto';
import { TenantsService } from './tenants.service';

const EXAMPLE = { id: 'acme', name: 'Acme', residency: 'ae', payloadLogging: 'hashed', quota: null, createdAt: '2026-11-28T12:00:00.000Z' };

/** Platform administration: tenants and their credentials. */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('admin/tenants')
@RequireScopes(SCOPES.platformAdmin)
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant: name, residency region, payload-logging policy (none | hashed | redacted | full)' })
  @ZodBody(CreateTenantSchema, { id: 'acme', name: 'Acme', residency: 'ae', payloadLogging: 'hashed' })
  @ApiCreatedResponse({ schema: { example: EXAMPLE } })
  @ApiConflictResponse({ schema: { example: { error: "tenant 'acme' already exists" } } })
  create(@Body(new ZodPipe(CreateTenantSchema)) dto: CreateTenantDto) {
    return this.tenants.create(dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a tenant' })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  get(@Param('id') id: string) {
    return this.tenants.get(id);
  }

  @Post(':id/tokens')
  @ApiOperation({ summary: 'Issue a signed bearer token (JWT) for a subject of the tenant, with scopes' })
  @ZodBody(IssueTokenSchema, { subject: 'alice', scopes: ['infer', 'models:read', 'models:write', 'deployments:write'], ttlSeconds: 86400 })
  @ApiCreatedResponse({ schema: { example: { token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…', expiresAt: '2026-11-29T12:00:00.000Z' } } })
  issueToken(@Param('id') id: string, @Body(new ZodPipe(IssueTokenSchema)) dto: IssueTokenDto) {
    return this.tenants.issueToken(id, dto);
  }
}

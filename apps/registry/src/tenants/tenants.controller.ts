import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { CreateTenantSchema, UpdateTenantSchema, type CreateTenantDto, type UpdateTenantDto } from './tenants.dto';
import { TenantsService } from './tenants.service';

const EXAMPLE = { id: 'acme', name: 'Acme', residency: 'ae', payloadLogging: 'hash', mustAudit: false, quota: null, createdAt: '2026-11-28T12:00:00.000Z' };

/** Platform administration: tenants (their credentials: clients and API keys). */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('admin/tenants')
@RequireScopes(SCOPES.platformAdmin)
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant: name, residency region, payload-logging policy (none | hash | redact | full), must-audit policy' })
  @ZodBody(CreateTenantSchema, { id: 'acme', name: 'Acme', residency: 'ae', payloadLogging: 'hash', mustAudit: false })
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

  @Patch(':id')
  @ApiOperation({ summary: "Change a tenant's payload-logging policy (none | hash | redact | full); a model's own setting overrides it" })
  @ZodBody(UpdateTenantSchema, { payloadLogging: 'redact' })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  update(@Param('id') id: string, @Body(new ZodPipe(UpdateTenantSchema)) dto: UpdateTenantDto) {
    return this.tenants.update(id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a tenant that holds no live client, API key or model; its Kafka ACLs and reply topics go with it' })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiConflictResponse({ schema: { example: { error: "tenant 'acme' still holds 1 live client(s), 0 live API key(s) and 0 model(s): revoke and delete them first" } } })
  delete(@Param('id') id: string) {
    return this.tenants.delete(id);
  }
}

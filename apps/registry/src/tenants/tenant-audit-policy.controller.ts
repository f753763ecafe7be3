import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { AuditPolicySchema, type AuditPolicy } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { TenantsService } from './tenants.service';

const EXAMPLE = { mustAudit: true };

/** Platform administration: whether a tenant's calls must be audited (refused rather than served unaudited). */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('admin/tenants/:id/audit-policy')
@RequireScopes(SCOPES.platformAdmin)
export class TenantAuditPolicyController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({ summary: "A tenant's audit policy" })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "tenant 'acme' not found" } } })
  async get(@Param('id') id: string): Promise<AuditPolicy> {
    return { mustAudit: (await this.tenants.get(id)).mustAudit };
  }

  @Put()
  @ApiOperation({
    summary: "Set a tenant's audit policy",
    description:
      'mustAudit: a call whose audit event the gateway cannot make durable (its spool full or unwritable) is refused with 503 and Retry-After before it runs, and no answer leaves before its event is on disk. Every gateway applies it within a second.',
  })
  @ZodBody(AuditPolicySchema, EXAMPLE)
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'mustAudit: Invalid input: expected boolean, received string' } } })
  put(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(AuditPolicySchema)) policy: AuditPolicy): Promise<AuditPolicy> {
    return this.tenants.setAuditPolicy(id, policy, principal.subject);
  }
}

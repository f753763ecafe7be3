import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { CreateTenantSchema, IssueTokenSchema, type CreateTenantDto, type IssueTokenDto } from './tenants.dto';
import { TenantsService } from './tenants.service';

/** Platform administration: tenants and their credentials. */
@Controller('admin/tenants')
@RequireScopes(SCOPES.platformAdmin)
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  create(@Body(new ZodPipe(CreateTenantSchema)) dto: CreateTenantDto) {
    return this.tenants.create(dto);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.tenants.get(id);
  }

  @Post(':id/tokens')
  issueToken(@Param('id') id: string, @Body(new ZodPipe(IssueTokenSchema)) dto: IssueTokenDto) {
    return this.tenants.issueToken(id, dto);
  }
}

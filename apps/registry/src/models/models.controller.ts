import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { CreateModelSchema, type CreateModelDto } from './models.dto';
import { ModelsService } from './models.service';

@Controller('admin/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @RequireScopes(SCOPES.modelsWrite)
  create(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(CreateModelSchema)) dto: CreateModelDto) {
    return this.models.create(principal, dto);
  }

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  async list(@CurrentPrincipal() principal: Principal) {
    return { models: await this.models.list(principal) };
  }

  @Get(':name')
  @RequireScopes(SCOPES.modelsRead)
  get(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    return this.models.get(principal, name);
  }
}

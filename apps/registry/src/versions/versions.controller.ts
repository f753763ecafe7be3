import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { uploadSource } from './upload-source';
import { toVersionView } from './version.view';
import { ChangeStageSchema, VersionParamSchema, type ChangeStageDto } from './versions.dto';
import { VersionsService } from './versions.service';

@Controller('admin/models/:name/versions')
export class VersionsController {
  constructor(private readonly versions: VersionsService) {}

  @Post()
  @RequireScopes(SCOPES.modelsWrite)
  async upload(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Req() request: FastifyRequest) {
    const version = await this.versions.register(principal, name, await uploadSource(request));
    return toVersionView(name, version);
  }

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  async list(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const versions = await this.versions.list(principal, name);
    return { versions: versions.map((v) => toVersionView(name, v)) };
  }

  @Get(':version')
  @RequireScopes(SCOPES.modelsRead)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version', new ZodPipe(VersionParamSchema)) version: number,
  ) {
    return toVersionView(name, await this.versions.get(principal, name, version));
  }

  @Post(':version/stage')
  @HttpCode(200)
  @RequireScopes(SCOPES.modelsWrite)
  async changeStage(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version', new ZodPipe(VersionParamSchema)) version: number,
    @Body(new ZodPipe(ChangeStageSchema)) dto: ChangeStageDto,
  ) {
    return toVersionView(name, await this.versions.changeStage(principal, name, version, dto.stage));
  }
}

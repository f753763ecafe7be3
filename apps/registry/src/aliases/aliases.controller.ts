import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ModelsService } from '../models/models.service';
import { ZodBody } from '../openapi/zod-openapi';
import { AliasesService } from './aliases.service';
import { AliasNameSchema, VersionRefSchema } from './version-ref';
import type { ModelAliasEntity } from '../catalog';

const SetAliasSchema = z.object({ version: VersionRefSchema });
const toView = (a: ModelAliasEntity) => ({ alias: a.alias, version: a.version, updatedBy: a.updatedBy, updatedAt: a.updatedAt });
const EXAMPLE = { alias: 'champion', version: 3, updatedBy: 'alice', updatedAt: '2026-11-28T12:00:00.000Z' };

@ApiTags('aliases')
@ApiBearerAuth()
@Controller('admin/models/:name/aliases')
export class AliasesController {
  constructor(
    private readonly models: ModelsService,
    private readonly aliases: AliasesService,
  ) {}

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "A model's aliases" })
  @ApiOkResponse({ schema: { example: { aliases: [EXAMPLE] } } })
  async list(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const model = await this.models.get(principal, name);
    return { aliases: (await this.aliases.list(model)).map(toView) };
  }

  @Put(':alias')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: 'Point an alias at a version (by number, or by another alias); creates or moves it' })
  @ZodBody(SetAliasSchema, { version: 3 })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "version 9 of model 'fraud-scorer' not found" } } })
  async set(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('alias', new ZodPipe(AliasNameSchema)) alias: string,
    @Body(new ZodPipe(SetAliasSchema)) dto: z.infer<typeof SetAliasSchema>,
  ) {
    const model = await this.models.get(principal, name);
    return toView(await this.aliases.set(model, alias, dto.version, principal.subject));
  }

  @Delete(':alias')
  @HttpCode(204)
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: 'Remove an alias' })
  @ApiNoContentResponse()
  async delete(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('alias', new ZodPipe(AliasNameSchema)) alias: string): Promise<void> {
    const model = await this.models.get(principal, name);
    await this.aliases.delete(model, alias);
  }
}

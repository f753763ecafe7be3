import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { SIGNATURE_HEADER } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { AliasesService } from '../aliases/aliases.service';
import { VersionRefSchema, type VersionRef } from '../aliases/version-ref';
import { ZodBody, jsonSchemaOf } from '../openapi/zod-openapi';
import { LINEAGE_HEADER, uploadSource } from './upload-source';
import { VERSION_EXAMPLE, toVersionView } from './version.view';
import { ChangeStageSchema, RollbackSchema, VersionLineageSchema, type ChangeStageDto, type RollbackDto } from './versions.dto';
import { VersionsService } from './versions.service';

const VERSION_PARAM = { name: 'version', description: 'a version number or an alias (`champion`)', example: 'champion' };

@ApiTags('versions')
@ApiBearerAuth()
@Controller('admin/models/:name')
export class VersionsController {
  constructor(
    private readonly versions: VersionsService,
    private readonly aliases: AliasesService,
  ) {}

  @Post('versions')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({
    summary: 'Upload a version (.onnx), streamed: hashed, checked, loaded once in onnxruntime, recorded as a draft',
    description:
      'Raw body (`application/octet-stream`) or multipart (`file`, with an optional `lineage` JSON field before it). ' +
      'Refused with 400 when not a loadable ONNX model, including external-data paths that leave the model folder; 413 past the size limit.',
  })
  @ApiConsumes('application/octet-stream', 'multipart/form-data')
  @ApiHeader({ name: LINEAGE_HEADER, required: false, description: 'lineage JSON for a raw-body upload', example: '{"sourceRun":"mlflow:runs/8f3e","metrics":{"auc":0.94}}' })
  @ApiHeader({
    name: SIGNATURE_HEADER,
    required: false,
    description: "detached signature `<keyId>:<base64>` by one of the tenant's trusted keys (docs/signed-artifacts.md); 422 signature_required when the tenant requires one",
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: { lineage: { ...jsonSchemaOf(VersionLineageSchema), description: 'JSON text' }, file: { type: 'string', format: 'binary' } },
      required: ['file'],
    },
  })
  @ApiCreatedResponse({ schema: { example: { ...VERSION_EXAMPLE, stage: 'draft', aliases: [] } } })
  @ApiBadRequestResponse({ schema: { example: { error: "not a valid ONNX model: external data must stay in the model's own folder, but the model names '../../etc/passwd'" } } })
  @ApiPayloadTooLargeResponse({ schema: { example: { error: 'model artifact exceeds the upload limit of 2147483648 bytes' } } })
  async upload(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Req() request: FastifyRequest) {
    const version = await this.versions.register(principal, name, await uploadSource(request));
    return toVersionView(name, version);
  }

  @Get('versions')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "A model's versions, oldest first, with stage, aliases, metadata and lineage" })
  @ApiOkResponse({ schema: { example: { versions: [VERSION_EXAMPLE] } } })
  async list(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const { model, versions } = await this.versions.list(principal, name);
    const aliases = await this.aliases.byVersion(model);
    return { versions: versions.map((v) => toVersionView(name, v, aliases.get(v.version))) };
  }

  @Get('versions/:version')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: 'Read a version (by number or alias)' })
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({ schema: { example: VERSION_EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "alias 'champion' of model 'fraud-scorer' not found" } } })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef) {
    const { model, version } = await this.versions.get(principal, name, ref);
    return toVersionView(name, version, (await this.aliases.byVersion(model)).get(version.version));
  }

  @Get('versions/:version/artifact')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "Download a version's .onnx artifact (streamed; x-content-sha256 carries its hash)" })
  @ApiParam(VERSION_PARAM)
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async artifact(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef, @Res() reply: FastifyReply): Promise<void> {
    const { version, stream } = await this.versions.openArtifact(principal, name, ref);
    await reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(version.sizeBytes))
      .header('content-disposition', `attachment; filename="${name}-v${version.version}.onnx"`)
      .header('x-content-sha256', version.sha256)
      .send(stream);
  }

  @Post('versions/:version/stage')
  @HttpCode(200)
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({
    summary: 'Move a version to a stage (draft → staging → production → archived)',
    description: 'Into production it serves alone (the previous production version steps down to staging, the deployment follows). Archived versions never serve.',
  })
  @ApiParam(VERSION_PARAM)
  @ZodBody(ChangeStageSchema, { stage: 'production', reason: 'passed offline evaluation' })
  @ApiOkResponse({ schema: { example: VERSION_EXAMPLE } })
  @ApiConflictResponse({ schema: { example: { error: 'a archived version cannot move to production' } } })
  async changeStage(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef,
    @Body(new ZodPipe(ChangeStageSchema)) dto: ChangeStageDto,
  ) {
    return toVersionView(name, await this.versions.changeStage(principal, name, ref, dto.stage, dto.reason));
  }

  @Post('rollback')
  @HttpCode(200)
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: 'Roll back: the version that served production before the current one serves it again, alone' })
  @ZodBody(RollbackSchema, { reason: 'p95 regression' })
  @ApiOkResponse({ schema: { example: { model: 'fraud-scorer', version: 2, from: [3] } } })
  @ApiConflictResponse({ schema: { example: { error: "model 'fraud-scorer' has no earlier production version to roll back to" } } })
  async rollback(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(RollbackSchema)) dto: RollbackDto) {
    const { version, from } = await this.versions.rollback(principal, name, dto.reason);
    return { model: name, version: version.version, from };
  }
}

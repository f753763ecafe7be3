import { Body, Controller, Headers, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { SIGNATURE_HEADER } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { VERSION_EXAMPLE, toVersionView } from '../versions/version.view';
import { VersionsError } from '../versions/versions.exception';
import { ImportAliasSchema, ImportUrlSchema, type ImportAliasDto, type ImportUrlDto } from './imports.dto';
import { ImportsService } from './imports.service';

const SIGNATURE_DOC = {
  name: SIGNATURE_HEADER,
  required: false,
  description: "detached signature `<keyId>:<base64>` over the model file's bytes (the .onnx the MLmodel names), by one of the tenant's trusted keys; as for an upload",
};
const IMPORTED_EXAMPLE = {
  ...VERSION_EXAMPLE,
  stage: 'draft',
  aliases: [],
  lineage: {
    source: 'mlflow',
    sourceRun: 'mlflow:runs/8f3e0c5d2b1a49e7b6c5d4e3f2a1b0c9',
    runId: '8f3e0c5d2b1a49e7b6c5d4e3f2a1b0c9',
    modelUuid: '3f2a9c1b8d7e4f60a1b2c3d4e5f60718',
    mlflowCreatedAt: '2026-11-28T12:00:00.123Z',
    flavor: 'onnx',
    modelFile: 'model.onnx',
    metrics: { auc: 0.941 },
    declaredSignature: { inputs: { kind: 'tensor', specs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }] }, outputs: null },
    archive: { format: 'tar.gz', sha256: '5d1c…', sizeBytes: 2048 },
  },
};

@ApiTags('imports')
@ApiBearerAuth()
@Controller('admin/models/:name/imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post('mlflow')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({
    summary: 'Import an MLflow model directory from an archive (.tar.gz, .tar or .zip): a new draft version, with the run as lineage',
    description:
      'Raw body (`application/octet-stream`), the format told from its first bytes. The archive holds `MLmodel` (an `onnx` flavor, or `python_function` loaded by `mlflow.onnx`) and the ONNX file it names, at its root or in its one top-level folder; ' +
      "a `metrics.json` beside MLmodel adds metrics. The model file goes through the upload's checks; the MLmodel signature must agree with the file's. " +
      'Refused with 400 for an entry that leaves the folder (zip-slip), a link, too many entries, or an unknown dtype; 413 past the upload limit.',
  })
  @ApiConsumes('application/octet-stream')
  @ApiHeader(SIGNATURE_DOC)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ schema: { example: IMPORTED_EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: "invalid archive: entry '../../etc/cron.d/x': the path leaves the model directory ('..')" } } })
  @ApiPayloadTooLargeResponse({ schema: { example: { error: 'archive refused: the archive exceeds the limit of 2147483648' } } })
  async archive(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Req() request: FastifyRequest, @Headers(SIGNATURE_HEADER) signature?: string) {
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw new VersionsError(415, 'send the archive as application/octet-stream', 'unsupported_media_type');
    return toVersionView(name, await this.imports.importArchive(principal, name, { stream: body, ...(signature !== undefined ? { signature } : {}) }));
  }

  @Post('mlflow/url')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({
    summary: 'Import the MLflow model directory at a URL on the platform allow-list (FALAJ_IMPORT_ALLOWED_ORIGINS): a new draft version',
    description:
      '`MLmodel`, `metrics.json` when there is one, and the model file are fetched under the URL (a folder: a trailing slash is added), redirects followed only within the allow-list, within FALAJ_IMPORT_TIMEOUT_MS and the upload limit. ' +
      'An S3-compatible store serves a public or VPC-endpoint bucket this way; requests are not signed.',
  })
  @ApiHeader(SIGNATURE_DOC)
  @ZodBody(ImportUrlSchema, { url: 'https://models.example.com/mlflow/fraud-scorer/3/' })
  @ApiCreatedResponse({ schema: { example: { ...IMPORTED_EXAMPLE, lineage: { ...IMPORTED_EXAMPLE.lineage, archive: undefined, sourceUrl: 'https://models.example.com/mlflow/fraud-scorer/3/' } } } })
  @ApiForbiddenResponse({ schema: { example: { error: "origin https://evil.example.com is not on the platform's import allow-list (FALAJ_IMPORT_ALLOWED_ORIGINS)" } } })
  async url(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(ImportUrlSchema)) dto: ImportUrlDto, @Headers(SIGNATURE_HEADER) signature?: string) {
    return toVersionView(name, await this.imports.importUrl(principal, name, dto.url, signature));
  }

  @Post('mlflow/alias')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({
    summary: "Import the version an MLflow-compatible registry's alias points to, unless this model already has it",
    description:
      'Asks the tracking server (on the allow-list) for `registered-models/alias` and `model-versions/get-download-uri`, then fetches the files as a URL import from its artifact proxy (`mlflow-artifacts:/`) or an http(s) artifact URI. ' +
      '201 with the new version; 200 with the version this model already imported from that registry version. Called on a schedule (cron, CI), it follows the alias.',
  })
  @ApiHeader(SIGNATURE_DOC)
  @ZodBody(ImportAliasSchema, { trackingUrl: 'https://mlflow.internal:5000/', name: 'fraud-scorer', alias: 'champion' })
  @ApiCreatedResponse({
    schema: {
      example: {
        ...IMPORTED_EXAMPLE,
        lineage: { ...IMPORTED_EXAMPLE.lineage, archive: undefined, mlflowRegistry: { trackingUrl: 'https://mlflow.internal:5000/', name: 'fraud-scorer', alias: 'champion', version: '7' } },
      },
    },
  })
  @ApiOkResponse({ description: 'already imported: the version that holds it' })
  async alias(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body(new ZodPipe(ImportAliasSchema)) dto: ImportAliasDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers(SIGNATURE_HEADER) signature?: string,
  ) {
    const { version, imported } = await this.imports.importAlias(principal, name, dto, signature);
    void reply.status(imported ? 201 : 200);
    return toVersionView(name, version);
  }
}

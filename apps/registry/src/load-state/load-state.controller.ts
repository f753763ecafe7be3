import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { hostingRefusal, parsePoolName } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { VersionRefSchema, type VersionRef } from '../aliases/version-ref';
import { ModelCommandsPublisher } from '../lifecycle/model-commands.publisher';
import { LifecyclePublisher, servingVersionOf } from '../lifecycle/lifecycle.publisher';
import { ZodBody } from '../openapi/zod-openapi';
import { VersionsError } from '../versions/versions.exception';
import { VersionsService } from '../versions/versions.service';
import { versionLoadState } from './load-state.policy';
import { WorkerHeartbeatsReader } from './worker-heartbeats.reader';

const LoadCommandSchema = z
  .object({
    pool: z
      .string()
      .regex(/^[a-z]+\.[a-z][a-z0-9-]{0,31}$/, 'a pool such as cpu.ae')
      .optional(),
  })
  .strict()
  .default({});
type LoadCommandDto = z.infer<typeof LoadCommandSchema>;
const VERSION_PARAM = { name: 'version', description: 'a version number or an alias', example: 'champion' };

@ApiTags('load state')
@ApiBearerAuth()
@Controller('admin/models/:name/versions/:version')
export class LoadStateController {
  constructor(
    private readonly versions: VersionsService,
    private readonly heartbeats: WorkerHeartbeatsReader,
    private readonly commands: ModelCommandsPublisher,
    private readonly lifecycle: LifecyclePublisher,
  ) {}

  @Get('status')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({
    summary: "A version's load state per pool and worker (loading | ready | failed (reason) | unloaded), from live heartbeats",
    description:
      "Each pool's `queueDepth` is the requests waiting in this version's batchers there; `batchSizes` counts the version's runs by size (requests per run) since each worker loaded it. Only the version's own numbers: never another tenant's.",
  })
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({
    schema: {
      example: {
        model: 'fraud-scorer',
        version: 3,
        stage: 'production',
        state: 'ready',
        pools: [{ pool: 'cpu.ae', state: 'ready', queueDepth: 3, workers: [{ workerId: 'cpu-worker-host-4242-1a2b3c', state: 'ready', executionProvider: 'cpu' }] }],
        batchSizes: { '1': 120, '4': 18, '8': 30 },
      },
    },
  })
  async status(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef) {
    const { model, version } = await this.versions.get(principal, name, ref);
    const state = versionLoadState(await this.heartbeats.live(), model.tenantId, model.name, version.version);
    return { model: name, version: version.version, stage: version.stage, ...state };
  }

  @Post('load')
  @HttpCode(202)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({
    summary: 'Load a version on the workers (of one pool, or all), whatever its stage, until unloaded',
    description: 'Triton-style explicit model control. Asynchronous: poll `status` until `ready`. Archived versions are refused.',
  })
  @ApiParam(VERSION_PARAM)
  @ZodBody(LoadCommandSchema, { pool: 'cpu.ae' })
  @ApiAcceptedResponse({ schema: { example: { model: 'fraud-scorer', version: 4, command: 'load', pool: 'cpu.ae' } } })
  @ApiConflictResponse({ schema: { example: { error: "cannot load version 4 on pool cpu.eu: residency: tenant 'acme' data stays only in 'ae', not in 'eu'" } } })
  async load(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef,
    @Body(new ZodPipe(LoadCommandSchema)) dto: LoadCommandDto,
  ) {
    const { model, version } = await this.versions.get(principal, name, ref);
    if (version.stage === 'archived') throw new VersionsError(409, `version ${version.version} is archived; archived versions never serve`, 'version_archived');
    const { regions } = await this.lifecycle.regionsOf(model);
    // A pool of another region would hold the tenant's model there: refused, saying why (the workers refuse it too).
    const refusal = dto.pool === undefined ? null : hostingRefusal(model.tenantId, regions, parsePoolName(dto.pool)?.region ?? dto.pool);
    if (refusal !== null) throw new VersionsError(409, `cannot load version ${version.version} on pool ${dto.pool}: ${refusal}`, 'residency');
    await this.commands.publish({
      command: 'load',
      serving: servingVersionOf(version),
      tenantId: model.tenantId,
      model: model.name,
      ...(dto.pool ? { pool: dto.pool } : {}),
      ...(regions ? { regions } : {}),
      actor: principal.subject,
      occurredAt: new Date().toISOString(),
    });
    return { model: name, version: version.version, command: 'load', pool: dto.pool ?? null };
  }

  @Post('unload')
  @HttpCode(202)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: 'Unload a version from the workers (of one pool, or all), even one the lifecycle serves, until loaded again' })
  @ApiParam(VERSION_PARAM)
  @ZodBody(LoadCommandSchema, {})
  @ApiAcceptedResponse({ schema: { example: { model: 'fraud-scorer', version: 4, command: 'unload', pool: null } } })
  async unload(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version', new ZodPipe(VersionRefSchema)) ref: VersionRef,
    @Body(new ZodPipe(LoadCommandSchema)) dto: LoadCommandDto,
  ) {
    const { model, version } = await this.versions.get(principal, name, ref);
    await this.commands.publish({
      command: 'unload',
      version: version.version,
      tenantId: model.tenantId,
      model: model.name,
      ...(dto.pool ? { pool: dto.pool } : {}),
      actor: principal.subject,
      occurredAt: new Date().toISOString(),
    });
    return { model: name, version: version.version, command: 'unload', pool: dto.pool ?? null };
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ModelsService } from '../models/models.service';
import { ZodBody } from '../openapi/zod-openapi';
import { DEPLOYMENT_EXAMPLE, toDeploymentView, toRevisionView } from './deployment.view';
import { DeploymentInputSchema, SwitchBackInputSchema, SwitchInputSchema, type DeploymentInput, type SwitchBackInput, type SwitchInput } from './deployment-spec.schema';
import { DeploymentsService } from './deployments.service';
import { DeploymentsError } from './deployments.exception';
import { ShadowReportReader } from './shadow-report.reader';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('admin/models/:name/deployment')
export class DeploymentsController {
  constructor(
    private readonly models: ModelsService,
    private readonly deployments: DeploymentsService,
    private readonly shadowReports: ShadowReportReader,
  ) {}

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "A model's current deployment spec" })
  @ApiOkResponse({ schema: { example: DEPLOYMENT_EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "model 'fraud-scorer' has no deployment" } } })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const model = await this.models.get(principal, name);
    return toDeploymentView(name, await this.deployments.get(model));
  }

  @Put()
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({
    summary: 'Set the deployment: versions and weights (sum 100), shadow, hardware, batching, instances, SLA, regions',
    description:
      'Versions may be numbers or aliases. The targets become exactly the production versions; ' +
      'a new revision is recorded and the lifecycle event carries the whole deployment to the router and workers.',
  })
  @ZodBody(DeploymentInputSchema, {
    targets: [
      { version: 'champion', weight: 90 },
      { version: 'challenger', weight: 10 },
    ],
    shadow: 5,
    hardware: 'cpu',
    batching: { enabled: true, maxBatchSize: 16, maxQueueDelayMicros: 500 },
    instanceCount: 1,
    slaP95Ms: 50,
    regions: ['ae'],
    reason: 'canary 10%',
  })
  @ApiOkResponse({ schema: { example: DEPLOYMENT_EXAMPLE } })
  @ApiBadRequestResponse({ schema: { example: { error: 'invalid deployment: version 4 is archived; archived versions never serve' } } })
  async put(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(DeploymentInputSchema)) input: DeploymentInput) {
    const model = await this.models.get(principal, name);
    return toDeploymentView(name, await this.deployments.put(principal, model, input));
  }

  @Post('switch')
  @HttpCode(200)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({
    summary: 'Blue-green: all traffic to one version at once; the version it replaces stays loaded at weight 0',
    description: 'One revision, one route change: the gateway keeps sending to the old version until a worker has the new one ready.',
  })
  @ZodBody(SwitchInputSchema, { version: 'challenger', reason: 'go green' })
  @ApiOkResponse({ schema: { example: DEPLOYMENT_EXAMPLE } })
  async switch(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(SwitchInputSchema)) input: SwitchInput) {
    const model = await this.models.get(principal, name);
    return toDeploymentView(name, await this.deployments.switchTo(principal, model, input));
  }

  @Post('switch-back')
  @HttpCode(200)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: 'Blue-green: all traffic back to the primary version of the previous revision' })
  @ZodBody(SwitchBackInputSchema, { reason: 'roll back' })
  @ApiOkResponse({ schema: { example: DEPLOYMENT_EXAMPLE } })
  @ApiConflictResponse({ schema: { example: { error: "model 'fraud-scorer' has no earlier deployment revision to switch back to" } } })
  async switchBack(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(SwitchBackInputSchema)) input: SwitchBackInput) {
    const model = await this.models.get(principal, name);
    return toDeploymentView(name, await this.deployments.switchTo(principal, model, { reason: input.reason }));
  }

  @Delete()
  @HttpCode(204)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: 'Remove the deployment; its heaviest target stays the production version' })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() principal: Principal, @Param('name') name: string): Promise<void> {
    const model = await this.models.get(principal, name);
    await this.deployments.remove(principal, model);
  }

  @Get('shadow-report')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({
    summary: "The shadow's report: mirrored pairs, exact and argmax agreement, max abs difference, p50/p95 of both sides",
    description: 'Aggregated by the gateways in Redis from live traffic; the latency delta is shadow minus primary, per pair.',
  })
  @ApiOkResponse({
    schema: {
      example: {
        shadowVersion: 5,
        pairs: 1200,
        shadowErrors: 0,
        exactMatches: 1200,
        argmaxAgreements: 1200,
        exactMatchRate: 1,
        agreementRate: 1,
        maxAbsDiff: 0,
        latencyMs: { primary: { p50: 2.1, p95: 4.3 }, shadow: { p50: 2.3, p95: 4.9 }, delta: { p50: 0.1, p95: 1.2 } },
      },
    },
  })
  @ApiNotFoundResponse({ schema: { example: { error: "model 'fraud-scorer' has no shadow version in its deployment" } } })
  async shadowReport(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const model = await this.models.get(principal, name);
    const { spec } = await this.deployments.get(model);
    if (spec.shadow === null) throw DeploymentsError.noShadow(name);
    return this.shadowReports.read(model.tenantId, name, spec.shadow);
  }

  @Get('revisions')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "Every revision of the model's deployment, oldest first (a null spec is a removal)" })
  @ApiOkResponse({
    schema: { example: { revisions: [{ revision: 1, spec: { targets: [{ version: 3, weight: 100 }] }, reason: '', actor: 'alice', createdAt: '2026-11-28T12:00:00.000Z' }] } },
  })
  async revisions(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const model = await this.models.get(principal, name);
    return { revisions: (await this.deployments.history(model)).map(toRevisionView) };
  }
}

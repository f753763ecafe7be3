import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ModelsService } from '../models/models.service';
import { ZodBody } from '../openapi/zod-openapi';
import { RolloutActionInputSchema, RolloutInputSchema, type RolloutActionInput, type RolloutInput } from './rollout-plan.schema';
import { ROLLOUT_EXAMPLE, toRolloutDetailView, toRolloutView } from './rollout.view';
import { RolloutsService } from './rollouts.service';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('admin/models/:name/rollouts')
export class RolloutsController {
  constructor(
    private readonly models: ModelsService,
    private readonly rollouts: RolloutsService,
  ) {}

  @Post()
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({
    summary: 'Start a progressive rollout of a canary version, judged step by step on live traffic',
    description:
      "The canary takes each step's share of traffic; a step advances once it has held its pause, seen `minRequests` canary " +
      'answers and kept the error rate and p95 within the analysis bounds (from the audit log of live traffic). A breach at ' +
      'any time rolls the deployment back to what it was before the rollout. Every step is a deployment revision, recorded ' +
      'here and published on Kafka `<prefix>.rollouts.v1`.',
  })
  @ZodBody(RolloutInputSchema, { canary: 'challenger', steps: [5, 25, 50, 100], pauseSeconds: 60, analysis: { maxErrorRate: 0.01, maxP95Ms: 50, minRequests: 20 } })
  @ApiCreatedResponse({ schema: { example: { ...ROLLOUT_EXAMPLE, step: 0, canaryWeight: 5 } } })
  @ApiBadRequestResponse({ schema: { example: { error: 'invalid deployment: version 4 is archived; archived versions never serve' } } })
  @ApiConflictResponse({ schema: { example: { error: "model 'fraud-scorer' already has an active rollout (4f1c2a9e-…); abort it or let it finish first" } } })
  async start(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Body(new ZodPipe(RolloutInputSchema)) input: RolloutInput) {
    const model = await this.models.get(principal, name);
    return toRolloutView(await this.rollouts.start(principal, model, input));
  }

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "The model's rollouts, newest first (100 at most)" })
  @ApiOkResponse({ schema: { example: { rollouts: [ROLLOUT_EXAMPLE] } } })
  async list(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    const model = await this.models.get(principal, name);
    return { rollouts: (await this.rollouts.list(model)).map(toRolloutView) };
  }

  @Get(':id')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: 'One rollout: its plan, every recorded step, and while active the live analysis of the current step' })
  @ApiOkResponse({ schema: { example: ROLLOUT_EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "model 'fraud-scorer' has no rollout '4f1c2a9e-…'" } } })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('id') id: string) {
    const model = await this.models.get(principal, name);
    return toRolloutDetailView(await this.rollouts.detail(model, id));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: "Hold the canary's share where it is (a breach still rolls back)" })
  @ZodBody(RolloutActionInputSchema, { reason: 'waiting for the business review' })
  @ApiOkResponse({ schema: { example: { ...ROLLOUT_EXAMPLE, state: 'paused' } } })
  async pause(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('id') id: string, @Body(new ZodPipe(RolloutActionInputSchema)) input: RolloutActionInput) {
    const model = await this.models.get(principal, name);
    return toRolloutView(await this.rollouts.pause(principal, model, id, input.reason));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: 'Let a paused rollout advance again' })
  @ZodBody(RolloutActionInputSchema, { reason: 'review passed' })
  @ApiOkResponse({ schema: { example: ROLLOUT_EXAMPLE } })
  async resume(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('id') id: string, @Body(new ZodPipe(RolloutActionInputSchema)) input: RolloutActionInput) {
    const model = await this.models.get(principal, name);
    return toRolloutView(await this.rollouts.resume(principal, model, id, input.reason));
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireScopes(SCOPES.deploymentsWrite)
  @ApiOperation({ summary: 'Stop the rollout and put the deployment back as it was before it' })
  @ZodBody(RolloutActionInputSchema, { reason: 'customer complaints' })
  @ApiOkResponse({ schema: { example: { ...ROLLOUT_EXAMPLE, state: 'aborted', canaryWeight: 0 } } })
  async abort(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('id') id: string, @Body(new ZodPipe(RolloutActionInputSchema)) input: RolloutActionInput) {
    const model = await this.models.get(principal, name);
    return toRolloutView(await this.rollouts.abort(principal, model, id, input.reason));
  }
}

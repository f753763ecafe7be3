import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ZodBody } from '../openapi/zod-openapi';
import { MODEL_EXAMPLE, toModelView } from './model.view';
import {
  CreateModelSchema,
  ListModelsQuerySchema,
  UpdateModelSchema,
  type CreateModelDto,
  type ListModelsQuery,
  type UpdateModelDto,
} from './models.dto';
import { ModelsService } from './models.service';

@ApiTags('models')
@ApiBearerAuth()
@Controller('admin/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: 'Create a model (a name within the tenant; versions are uploaded to it)' })
  @ZodBody(CreateModelSchema, { name: 'fraud-scorer', description: 'card-not-present fraud score', labels: { team: 'risk' }, owner: 'risk-ml' })
  @ApiCreatedResponse({ schema: { example: MODEL_EXAMPLE } })
  @ApiConflictResponse({ schema: { example: { error: "model 'fraud-scorer' already exists" } } })
  async create(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(CreateModelSchema)) dto: CreateModelDto) {
    return toModelView(await this.models.create(principal, dto));
  }

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "List the tenant's models, filtered by labels, stage and owner, a page at a time" })
  @ApiQuery({ name: 'label', required: false, isArray: true, description: 'key=value; repeat for several (all must match)', example: 'team=risk' })
  @ApiQuery({ name: 'stage', required: false, enum: ['draft', 'staging', 'production', 'archived'], description: 'models with a version in this stage' })
  @ApiQuery({ name: 'owner', required: false })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  @ApiOkResponse({ schema: { example: { models: [MODEL_EXAMPLE], page: 1, limit: 50, total: 1 } } })
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(ListModelsQuerySchema)) query: ListModelsQuery) {
    const { models, total } = await this.models.list(principal, query);
    return { models: models.map(toModelView), page: query.page, limit: query.limit, total };
  }

  @Get(':name')
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: 'Read a model' })
  @ApiOkResponse({ schema: { example: MODEL_EXAMPLE } })
  @ApiNotFoundResponse({ schema: { example: { error: "model 'fraud-scorer' not found" } } })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    return toModelView(await this.models.get(principal, name));
  }

  @Patch(':name')
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: "Update a model's description, labels (replaced whole) or owner" })
  @ZodBody(UpdateModelSchema, { labels: { team: 'risk', tier: 'platinum' }, owner: 'risk-ml' })
  @ApiOkResponse({ schema: { example: MODEL_EXAMPLE } })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body(new ZodPipe(UpdateModelSchema)) dto: UpdateModelDto,
  ) {
    return toModelView(await this.models.update(principal, name, dto));
  }

  @Delete(':name')
  @HttpCode(204)
  @RequireScopes(SCOPES.modelsWrite)
  @ApiOperation({ summary: 'Delete a model and its versions; refused (409) while a version is in production or deployed' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ schema: { example: { error: "model 'fraud-scorer' cannot be deleted while it serves: version(s) 2 in production" } } })
  async delete(@CurrentPrincipal() principal: Principal, @Param('name') name: string): Promise<void> {
    await this.models.delete(principal, name);
  }
}

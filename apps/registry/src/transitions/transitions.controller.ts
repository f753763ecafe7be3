import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { ModelsService } from '../models/models.service';
import { TransitionsService } from './transitions.service';

const TransitionsQuerySchema = z.object({
  version: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

@ApiTags('stages')
@Controller('admin/models/:name/transitions')
export class TransitionsController {
  constructor(
    private readonly models: ModelsService,
    private readonly transitions: TransitionsService,
  ) {}

  @Get()
  @RequireScopes(SCOPES.modelsRead)
  @ApiOperation({ summary: "A model's stage transitions, oldest first: who, when, from, to, why" })
  @ApiOkResponse({
    schema: {
      example: {
        transitions: [
          { version: 1, from: null, to: 'draft', actor: 'alice', reason: 'registered', occurredAt: '2026-11-28T12:00:00.000Z' },
          { version: 1, from: 'draft', to: 'production', actor: 'alice', reason: 'first release', occurredAt: '2026-11-28T12:01:00.000Z' },
        ],
      },
    },
  })
  async list(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Query(new ZodPipe(TransitionsQuerySchema)) query: z.infer<typeof TransitionsQuerySchema>) {
    const model = await this.models.get(principal, name);
    return { transitions: await this.transitions.list(model.id, query) };
  }
}

import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { RetentionRunsQuerySchema, type RetentionRunsQuery } from './retention.dto';
import { RetentionError } from './retention.exception';
import { RetentionService } from './retention.service';

const EXAMPLE = {
  id: '0b6f3c1e-2a4d-4e8f-9c1b-7d5e3a2f1c0d',
  trigger: 'schedule',
  instance: 'registry-a',
  state: 'completed',
  startedAt: '2026-12-02T06:00:00.000Z',
  finishedAt: '2026-12-02T06:00:01.412Z',
  removed: [
    { tenantId: 'acme', kind: 'audit', rowsDeleted: 1200 },
    { tenantId: 'acme', kind: 'jobs', rowsDeleted: 10000, jobsExpired: 3 },
  ],
  partitionsDropped: [{ table: 'audit_log_ae_p202510', month: '2025-10', rowsEstimate: 2400000 }],
  partitionsCreated: ['audit_log_ae:2027-01'],
  error: null,
};

/** Platform administration: the retention passes, what each removed, and a pass on demand. */
@ApiTags('retention')
@ApiBearerAuth()
@Controller('admin/retention')
@RequireScopes(SCOPES.platformAdmin)
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get('runs')
  @ApiOperation({ summary: 'The retention passes, newest first: per tenant and kind the rows deleted, and the audit partitions dropped' })
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiOkResponse({ schema: { example: { runs: [EXAMPLE] } } })
  async runs(@Query(new ZodPipe(RetentionRunsQuerySchema)) query: RetentionRunsQuery) {
    return { runs: await this.retention.runs(query.limit) };
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a retention pass now and answer its record once it has finished' })
  @ApiOkResponse({ schema: { example: { ...EXAMPLE, trigger: 'admin' } } })
  @ApiConflictResponse({ schema: { example: { error: 'a retention pass is already running (on this or another registry); its run is listed at GET /admin/retention/runs' } } })
  async run() {
    const run = await this.retention.runPass('admin');
    if (!run) throw RetentionError.busy();
    return run;
  }
}

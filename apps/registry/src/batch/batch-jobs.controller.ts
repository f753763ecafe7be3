import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { ZodPipe } from '@falaj/http';
import { requestTrace, tracing } from '@falaj/tracing';
import { uploadSource } from '../versions/upload-source';
import { BatchJobsService } from './batch-jobs.service';
import { JobIdSchema, ListJobsQuerySchema, SubmitJobQuerySchema, type ListJobsQuery, type SubmitJobQuery } from './batch.dto';

/** The submission's trace context for its job: the registry's span of the request, or the traceparent it came with. */
function traceparentOfRequest(request: FastifyRequest): string | undefined {
  return tracing().traceparentOf(requestTrace(request));
}

/** Batch jobs (`/v2/batch/jobs`) and async single inference (`/v2/async`), reached through the gateway. */
@Controller('v2')
@RequireScopes(SCOPES.infer)
export class BatchJobsController {
  constructor(private readonly jobs: BatchJobsService) {}

  @Post('batch/jobs')
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(SubmitJobQuerySchema)) query: SubmitJobQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const job = await this.jobs.submit(principal, query, (await uploadSource(request)).stream, 'batch', traceparentOfRequest(request));
    void reply.header('location', `/v2/batch/jobs/${job.id}`);
    return job;
  }

  /** The caller's tenant's batch jobs, newest first: `?limit=20&state=running&cursor=<nextCursor>`. */
  @Get('batch/jobs')
  list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(ListJobsQuerySchema)) query: ListJobsQuery) {
    return this.jobs.list(principal, query);
  }

  @Get('batch/jobs/:id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ZodPipe(JobIdSchema)) id: string) {
    return this.jobs.get(principal, id);
  }

  /** NDJSON, one line per input row, in input order, streamed from Postgres. */
  @Get('batch/jobs/:id/results')
  async results(@CurrentPrincipal() principal: Principal, @Param('id', new ZodPipe(JobIdSchema)) id: string, @Res() reply: FastifyReply) {
    const rows = this.jobs.results(principal, id);
    const first = await rows.next(); // surfaces a 404 before the 200 is sent
    async function* lines() {
      if (!first.done) yield `${JSON.stringify(first.value)}\n`;
      for await (const row of rows) yield `${JSON.stringify(row)}\n`;
    }
    await reply.header('content-type', 'application/x-ndjson').send(Readable.from(lines()));
  }

  /** Server-sent events: the job's progress until it ends. */
  @Get('batch/jobs/:id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id', new ZodPipe(JobIdSchema)) id: string, @Res() reply: FastifyReply) {
    await this.jobs.get(principal, id);
    const jobs = this.jobs;
    async function* stream() {
      let last = '';
      for (;;) {
        const view = await jobs.get(principal, id);
        const data = JSON.stringify(view);
        if (data !== last) yield `event: progress\ndata: ${data}\n\n`;
        last = data;
        if (['completed', 'failed', 'cancelled'].includes(view.state)) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(Readable.from(stream()));
  }

  @Delete('batch/jobs/:id')
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', new ZodPipe(JobIdSchema)) id: string) {
    return this.jobs.cancel(principal, id);
  }

  /** `Prefer: respond-async` on infer: a one-row job; the gateway answers 202 with its Location. */
  @Post('async/models/:model/infer')
  @HttpCode(202)
  async submitAsync(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Query('version') version: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const query = SubmitJobQuerySchema.parse({ model, ...(version ? { version } : {}), failFast: 'true', chunkSize: '1' });
    const job = await this.jobs.submit(principal, query, Readable.from([JSON.stringify(body ?? null)]), 'async', traceparentOfRequest(request));
    void reply.header('location', `/v2/async/jobs/${job.id}`).header('preference-applied', 'respond-async');
    return { id: job.id, state: job.state };
  }

  /** 202 while it runs; then the inference's own answer: 200 and the OIP response, or its error. */
  @Get('async/jobs/:id')
  async pollAsync(@CurrentPrincipal() principal: Principal, @Param('id', new ZodPipe(JobIdSchema)) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const job = await this.jobs.get(principal, id);
    const [row] = await collect(this.jobs.results(principal, id), 1);
    if (!row || row.state === 'pending') {
      void reply.status(202).header('retry-after', '1');
      return { id, state: job.state };
    }
    void reply.status(row.status ?? 500);
    return row.state === 'done' ? row.output : { error: row.error };
  }
}

async function collect<T>(rows: AsyncGenerator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) {
    out.push(row);
    if (out.length >= count) break;
  }
  return out;
}

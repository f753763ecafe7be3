import { createHash } from 'node:crypto';
import type { Principal } from '@falaj/auth';
import type { AuditEvent } from '@falaj/contracts';
import { inferenceAuditEvent, type AuditedCall } from '@falaj/dispatch';
import type { BatchJobEntity } from './batch-job.entity';

/** A row's final answer, with where it ran and its one audit event. */
export type RowAnswer = { index: number; pool: string | null; workerId: string | null; audit: AuditEvent } & (
  { ok: true; response: Record<string, unknown> } | { ok: false; status: number; error: string }
);

/** A row's job as the runner reads it; its trace context only where the job was traced. */
export type JobOfRow = Pick<BatchJobEntity, 'id' | 'tenantId' | 'kind' | 'model' | 'version' | 'residency' | 'createdBy'> & Partial<Pick<BatchJobEntity, 'traceparent'>>;

/**
 * The call a job row is, for the pipeline and its audit event: the job's submitter (its tenant,
 * subject and residency, as their token said at submission) calling the job's model, under the
 * request id `<job id>/<row>`. Job rows carry no scopes: the submission was authorised.
 */
export function jobRowCall(job: JobOfRow, index: number): AuditedCall {
  const principal: Principal = { tenantId: job.tenantId, subject: job.createdBy, scopes: [], ...(job.residency ? { residency: job.residency } : {}) };
  return { principal, requestId: `${job.id}/${index}`, model: job.model, protocol: job.kind === 'async' ? 'async' : 'batch' };
}

/**
 * The region whose store holds the job's rows and their audit: its submitter's residency, as
 * the rows' audit events record it (`unknown` for a tenant without one).
 */
export function jobRegion(job: Pick<BatchJobEntity, 'residency'>): string {
  return job.residency ?? 'unknown';
}

/**
 * The row's audit event id, the same every time the row is answered: a chunk run twice (a lost
 * lock, a Redis that forgot the queue) writes its rows' audit at most once (ON CONFLICT on it).
 */
export function rowEventId(jobId: string, index: number): string {
  const hex = createHash('sha256').update(`job-row/${jobId}/${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A row the platform gave up on (attempts spent), answered and audited as failed, placed nowhere. */
export function failedRow(job: JobOfRow, index: number, status: number, error: string): RowAnswer {
  const audit = inferenceAuditEvent(jobRowCall(job, index), { status, error }, { version: null, pool: null, placement: null }, 0, rowEventId(job.id, index));
  return { index, ok: false, status, error, pool: null, workerId: null, audit };
}

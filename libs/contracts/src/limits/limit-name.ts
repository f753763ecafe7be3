/**
 * Every named limit of the platform, as the `limit` label of `falaj_limit_refusals_total` and
 * the `limit` an error carries when it refuses for one (docs/configuration.md#every-named-limit). One name per limit:
 * that table, the metric and the error say the same word.
 */
export const LIMIT_NAMES = [
  /** FALAJ_MAX_REQUEST_BYTES: a request body (counted after inflation: Fastify counts inflated bytes). */
  'request_bytes',
  /** FALAJ_MAX_TENSOR_ELEMENTS: elements of one request tensor. */
  'tensor_elements',
  /** FALAJ_MAX_BYTES_ELEMENT_BYTES: bytes of one BYTES element. */
  'bytes_element',
  /** FALAJ_MAX_REPLY_BYTES: a worker's answer. */
  'reply_bytes',
  /** FALAJ_MAX_IN_FLIGHT, FALAJ_MAX_IN_FLIGHT_PER_TENANT, FALAJ_MAX_IN_FLIGHT_BYTES. */
  'in_flight_gateway',
  'in_flight_tenant',
  'in_flight_bytes',
  /** FALAJ_POOL_STREAM_MAX_ENTRIES, FALAJ_POOL_STREAM_MAX_BYTES: a pool's Redis stream, shared by every gateway and the router. */
  'stream_entries',
  'stream_bytes',
  /** A tenant's rate and concurrency quotas (FALAJ_QUOTAS and quota records). */
  'tenant_rate',
  'tenant_concurrency',
  /** FALAJ_BATCH_MAX_ROW_BYTES, FALAJ_BATCH_MAX_JOB_BYTES, FALAJ_BATCH_MAX_ROWS. */
  'batch_row_bytes',
  'batch_job_bytes',
  'batch_job_rows',
  /** FALAJ_BATCH_TENANT_MAX_JOBS, FALAJ_BATCH_TENANT_MAX_BYTES: a tenant's jobs in flight. */
  'batch_tenant_jobs',
  'batch_tenant_bytes',
  /** FALAJ_MAX_UPLOAD_BYTES, FALAJ_TENANT_STORAGE_BYTES. */
  'upload_bytes',
  'tenant_storage',
  /** FALAJ_MODEL_MAX_TENSOR_ELEMENTS, FALAJ_MODEL_MAX_TENSOR_BYTES and the validating child's bounds: an uploaded model. */
  'model_tensors',
  /** FALAJ_MAX_INSTANCE_COUNT, FALAJ_MAX_INTRA_OP_THREADS. */
  'deployment_instances',
  'deployment_threads',
  /** FALAJ_AUDIT_SPOOL_MAX_BYTES: the gateway's audit spool, for a must-audit tenant's call. */
  'audit_spool',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

const KNOWN: ReadonlySet<string> = new Set(LIMIT_NAMES);

/** The named limit an error refuses for (its `limit` property), or undefined when it is no limit refusal. */
export function limitOf(error: unknown): LimitName | undefined {
  const limit = (error as { limit?: unknown } | null | undefined)?.limit;
  return typeof limit === 'string' && KNOWN.has(limit) ? (limit as LimitName) : undefined;
}

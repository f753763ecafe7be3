import { z } from 'zod';
import { OipDatatypeSchema } from '../tensors/datatype';

/**
 * What the platform may keep of a call's tensors (docs/audit.md#payload-logging-by-policy), per tenant with a
 * per-model override: `none` metadata only (the audit event); `hash` a keyed HMAC-SHA256 of each
 * tensor's canonical bytes; `redact` numeric tensors as shape and summary statistics, strings with
 * personal data replaced by typed placeholders; `full` the raw tensors, stored only in the
 * tenant's residency region.
 */
export const PAYLOAD_LOGGING = ['none', 'hash', 'redact', 'full'] as const;
export const PayloadLoggingSchema = z.enum(PAYLOAD_LOGGING);
export type PayloadLogging = z.infer<typeof PayloadLoggingSchema>;

/**
 * Redis hash of the policies that are not `none` (the source of truth is Postgres: tenants and
 * models), one field per tenant (`tenant:<id>`) or model override (`model:<tenant>/<model>`), the
 * value the policy's name. Rewritten whole at registry boot; every edge reads it into memory.
 */
export const payloadPoliciesKey = (prefix: string): string => `${prefix}:payload-policy:v1`;
export const payloadPoliciesChangedChannel = (prefix: string): string => `${prefix}:payload-policy:v1:changed`;
export const tenantPayloadField = (tenantId: string): string => `tenant:${tenantId}`;
export const modelPayloadField = (tenantId: string, model: string): string => `model:${tenantId}/${model}`;

const name = z.string().min(1).max(256);
const shape = z.array(z.number().int().nonnegative()).max(64);
const base = { name, datatype: OipDatatypeSchema, shape };

/** One tensor as a policy keeps it. */
export const PayloadTensorSchema = z.discriminatedUnion('kind', [
  /** `hash`: HMAC-SHA256 (hex) of name, datatype, shape and the tensor's bytes (Triton's binary layout). */
  z.object({ kind: z.literal('hmac'), ...base, hmac: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** `redact`, numeric: summary statistics only (null for an empty tensor or one with no finite value). */
  z.object({ kind: z.literal('summary'), ...base, count: z.number().int().nonnegative(), min: z.number().nullable(), max: z.number().nullable(), mean: z.number().nullable() }),
  /** `redact`, BYTES: each element with its personal data replaced (`<email>`, `<phone>` …); `full`, BYTES: the elements as sent. */
  z.object({ kind: z.literal('text'), ...base, values: z.array(z.string()), truncated: z.boolean() }),
  /** `full`, numeric: the raw bytes, base64. */
  z.object({ kind: z.literal('raw'), ...base, data: z.string(), truncated: z.boolean() }),
]);
export type PayloadTensor = z.infer<typeof PayloadTensorSchema>;

export const PayloadBodySchema = z.object({ request: z.array(PayloadTensorSchema).max(1024), response: z.array(PayloadTensorSchema).max(1024) });
export type PayloadBody = z.infer<typeof PayloadBodySchema>;

/**
 * A call's payload record, travelling inside its audit event. Under `full` the body is sealed
 * (AES-256-GCM under a key derived per tenant from FALAJ_PAYLOAD_KEY, base64 of iv | tag |
 * ciphertext): the raw tensors cross Kafka unreadable and are opened only by the registry, which
 * stores them in the tenant's region partition of `payload_log`.
 */
export const PayloadRecordSchema = z.discriminatedUnion('policy', [
  z.object({ policy: z.enum(['hash', 'redact']), body: PayloadBodySchema }),
  z.object({ policy: z.literal('full'), sealed: z.string().min(1) }),
]);
export type PayloadRecord = z.infer<typeof PayloadRecordSchema>;

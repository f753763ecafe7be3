import { z } from 'zod';
import { OipDatatypeSchema } from '../tensors/datatype';
import type { TensorPayload } from '../tensors/tensor-payload';

/** One Redis stream per pool; every worker of the pool reads it through one consumer group. */
export const poolStreamKey = (prefix: string, pool: string): string => `${prefix}:pool:${pool}:requests`;
export const poolConsumerGroup = (prefix: string): string => `${prefix}-workers`;
/**
 * The reply stream of one gateway (or router) instance: workers XADD each reply there, its one
 * reader XREADs and deletes what it read. A stream, not pub/sub: Redis drops a pub/sub subscriber
 * whose output buffer passes `client-output-buffer-limit pubsub` (32 MB), and with it every
 * other reply in flight to that instance; a stream entry waits until it is read, whatever its size.
 * Its reader makes it and keeps its expiry; workers add with NOMKSTREAM and never trim it, so no
 * reply is dropped before it is read. Its length needs no cap of its own: every entry answers a
 * dispatch that passed its pool stream's budget (pool-stream-budget.ts), and is deleted once read.
 */
export const replyStreamKey = (prefix: string, replyTo: string): string => `${prefix}:replies:${replyTo}:stream`;
/** The field of a reply stream entry that holds the encoded reply (encodeReply). */
export const REPLY_FIELD = 'r';
/** A reply stream whose reader is gone (its instance stopped refreshing it) expires this long after the last refresh. */
export const REPLY_STREAM_TTL_MS = 10 * 60_000;
/** Default of FALAJ_MAX_REPLY_BYTES: the largest reply (header and outputs) a worker sends. */
export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;
/**
 * The status of a request whose answer would exceed the reply limit: 422, not 413. The request
 * was well-formed and within every request limit (413 is, by RFC 9110, about the request's own
 * content, and would send a client off shrinking a body that was fine); what cannot be done is
 * what it asks for, at this size: fewer outputs or a smaller batch succeed.
 */
export const REPLY_TOO_LARGE_STATUS = 422;

const TensorHeaderSchema = z.object({
  name: z.string().min(1),
  datatype: OipDatatypeSchema,
  shape: z.array(z.number().int().nonnegative()),
  byteLength: z.number().int().nonnegative(),
});

export const DispatchHeaderSchema = z.object({
  /**
   * The dispatcher's own id of this dispatch (a UUID): replies are correlated by it, never by the
   * client's request id, which two callers may share.
   */
  dispatchId: z.string().min(1).max(64),
  /** The client's id: echoed, audited and logged, never used to match a reply. */
  requestId: z.string().min(1),
  tenantId: z.string().min(1),
  model: z.string().min(1),
  version: z.number().int().positive(),
  /** The gateway instance waiting for the answer. */
  replyTo: z.string().min(1),
  /** Epoch ms after which nobody waits for the answer: a worker drops the request. */
  deadline: z.number().int().positive(),
  inputs: z.array(TensorHeaderSchema),
  /** Outputs asked for; empty means all. */
  outputs: z.array(z.string()),
  /** The dispatch span's W3C traceparent: the worker's spans join the caller's trace (absent when nobody traces). */
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
    .optional(),
});
export type DispatchHeader = z.infer<typeof DispatchHeaderSchema>;

export interface DispatchRequest {
  dispatchId: string;
  requestId: string;
  tenantId: string;
  model: string;
  version: number;
  replyTo: string;
  deadline: number;
  inputs: TensorPayload[];
  outputs: string[];
  traceparent?: string;
}

/**
 * What every reply carries back from its request: the dispatch id it answers and whose model it
 * ran, so the dispatcher delivers it only to the dispatch that asked for exactly that.
 */
const ReplyOriginFields = {
  dispatchId: z.string().min(1).max(64),
  requestId: z.string(),
  tenantId: z.string().min(1),
  model: z.string().min(1),
  version: z.number().int().positive(),
  workerId: z.string(),
};

export const ReplyHeaderSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    ...ReplyOriginFields,
    outputs: z.array(TensorHeaderSchema),
    computeMs: z.number().nonnegative(),
  }),
  z.object({
    ok: z.literal(false),
    ...ReplyOriginFields,
    /**
     * HTTP-like status: 400 for a request the model rejects, 422 when its answer would exceed the
     * reply limit (FALAJ_MAX_REPLY_BYTES), 503 when the model is not loaded, 500 otherwise.
     */
    status: z.number().int(),
    error: z.string(),
  }),
]);
export type ReplyHeader = z.infer<typeof ReplyHeaderSchema>;

/** The fields a reply echoes from its dispatch entry, plus the worker that answered. */
export type ReplyOrigin = Pick<DispatchRequest, 'dispatchId' | 'requestId' | 'tenantId' | 'model' | 'version'> & { workerId: string };

export type DispatchReply = (ReplyOrigin & { ok: true; outputs: TensorPayload[]; computeMs: number }) | (ReplyOrigin & { ok: false; status: number; error: string });

export class DispatchDecodeError extends Error {}

/** Stream entry fields: `h` the JSON header, `d` the tensors' bytes back to back. */
export function encodeDispatchEntry(request: DispatchRequest): [string, string, string, Buffer] {
  const header: DispatchHeader = {
    dispatchId: request.dispatchId,
    requestId: request.requestId,
    tenantId: request.tenantId,
    model: request.model,
    version: request.version,
    replyTo: request.replyTo,
    deadline: request.deadline,
    inputs: request.inputs.map(tensorHeader),
    outputs: request.outputs,
    ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
  };
  return ['h', JSON.stringify(header), 'd', concatData(request.inputs)];
}

/** Decodes a stream entry's flat field list as ioredis returns it in buffer mode. */
export function decodeDispatchEntry(fields: Buffer[]): DispatchRequest {
  let headerRaw: Buffer | undefined;
  let data: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i].toString();
    if (name === 'h') headerRaw = fields[i + 1];
    else if (name === 'd') data = fields[i + 1];
  }
  if (!headerRaw || !data) throw new DispatchDecodeError('dispatch entry lacks its header or data field');
  const header = parseJson(DispatchHeaderSchema, headerRaw);
  return { ...header, inputs: sliceTensors(header.inputs, data) };
}

/** Reply message: 4-byte little-endian header length, the JSON header, then output bytes. */
export function encodeReply(reply: DispatchReply): Buffer {
  const header: ReplyHeader = reply.ok
    ? {
        ok: true,
        dispatchId: reply.dispatchId,
        requestId: reply.requestId,
        tenantId: reply.tenantId,
        model: reply.model,
        version: reply.version,
        workerId: reply.workerId,
        outputs: reply.outputs.map(tensorHeader),
        computeMs: reply.computeMs,
      }
    : reply;
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32LE(headerBytes.length, 0);
  const parts: Buffer[] = [prefix, headerBytes];
  if (reply.ok) for (const tensor of reply.outputs) parts.push(tensor.data);
  return Buffer.concat(parts);
}

/** Bytes the reply of these outputs takes on the wire, header aside: what the reply limit counts. */
export function replyDataBytes(outputs: readonly TensorPayload[]): number {
  let total = 0;
  for (const tensor of outputs) total += tensor.data.length;
  return total;
}

/** The encoded reply of a reply stream entry (flat field list, buffer mode). */
export function decodeReplyEntry(fields: Buffer[]): DispatchReply {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i].toString() === REPLY_FIELD) return decodeReply(fields[i + 1]);
  throw new DispatchDecodeError(`reply entry lacks its '${REPLY_FIELD}' field`);
}

export function decodeReply(message: Buffer): DispatchReply {
  if (message.length < 4) throw new DispatchDecodeError('reply shorter than its length prefix');
  const headerLength = message.readUInt32LE(0);
  if (4 + headerLength > message.length) throw new DispatchDecodeError('reply header overruns the message');
  const header = parseJson(ReplyHeaderSchema, message.subarray(4, 4 + headerLength));
  if (!header.ok) return header;
  return { ...header, outputs: sliceTensors(header.outputs, message.subarray(4 + headerLength)) };
}

function tensorHeader(tensor: TensorPayload): z.infer<typeof TensorHeaderSchema> {
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, byteLength: tensor.data.length };
}

function concatData(tensors: TensorPayload[]): Buffer {
  return tensors.length === 1 ? tensors[0].data : Buffer.concat(tensors.map((t) => t.data));
}

function sliceTensors(headers: z.infer<typeof TensorHeaderSchema>[], data: Buffer): TensorPayload[] {
  let offset = 0;
  const tensors = headers.map(({ byteLength, ...rest }) => {
    if (offset + byteLength > data.length) throw new DispatchDecodeError(`tensor ${rest.name} overruns the data`);
    const tensor = { ...rest, data: data.subarray(offset, offset + byteLength) };
    offset += byteLength;
    return tensor;
  });
  if (offset !== data.length) throw new DispatchDecodeError('data holds bytes that no tensor claims');
  return tensors;
}

function parseJson<T>(schema: z.ZodType<T>, raw: Buffer): T {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new DispatchDecodeError('header is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DispatchDecodeError(`header is malformed: ${parsed.error.message}`);
  return parsed.data;
}

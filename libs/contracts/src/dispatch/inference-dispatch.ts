import { z } from 'zod';
import { OipDatatypeSchema } from '../tensors/datatype';
import type { TensorPayload } from '../tensors/tensor-payload';

/** One Redis stream per pool; every worker of the pool reads it through one consumer group. */
export const poolStreamKey = (prefix: string, pool: string): string => `${prefix}:pool:${pool}:requests`;
export const poolConsumerGroup = (prefix: string): string => `${prefix}-workers`;
/** Pub/sub channel of one gateway instance; workers publish replies there. */
export const replyChannel = (prefix: string, gatewayId: string): string => `${prefix}:replies:${gatewayId}`;

const TensorHeaderSchema = z.object({
  name: z.string().min(1),
  datatype: OipDatatypeSchema,
  shape: z.array(z.number().int().nonnegative()),
  byteLength: z.number().int().nonnegative(),
});

export const DispatchHeaderSchema = z.object({
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
});
export type DispatchHeader = z.infer<typeof DispatchHeaderSchema>;

export interface DispatchRequest {
  requestId: string;
  tenantId: string;
  model: string;
  version: number;
  replyTo: string;
  deadline: number;
  inputs: TensorPayload[];
  outputs: string[];
}

export const ReplyHeaderSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    requestId: z.string(),
    version: z.number().int().positive(),
    workerId: z.string(),
    outputs: z.array(TensorHeaderSchema),
    computeMs: z.number().nonnegative(),
  }),
  z.object({
    ok: z.literal(false),
    requestId: z.string(),
    workerId: z.string(),
    /** HTTP-like status: 400 for a request the model rejects, 503 when the model is not loaded, 500 otherwise. */
    status: z.number().int(),
    error: z.string(),
  }),
]);
export type ReplyHeader = z.infer<typeof ReplyHeaderSchema>;

export type DispatchReply =
  | { ok: true; requestId: string; version: number; workerId: string; outputs: TensorPayload[]; computeMs: number }
  | { ok: false; requestId: string; workerId: string; status: number; error: string };

export class DispatchDecodeError extends Error {}

/** Stream entry fields: `h` the JSON header, `d` the tensors' bytes back to back. */
export function encodeDispatchEntry(request: DispatchRequest): [string, string, string, Buffer] {
  const header: DispatchHeader = {
    requestId: request.requestId,
    tenantId: request.tenantId,
    model: request.model,
    version: request.version,
    replyTo: request.replyTo,
    deadline: request.deadline,
    inputs: request.inputs.map(tensorHeader),
    outputs: request.outputs,
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
        requestId: reply.requestId,
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

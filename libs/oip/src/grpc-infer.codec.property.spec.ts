import fc from 'fast-check';
import * as protoLoader from '@grpc/proto-loader';
import type { ModelSignature } from '@falaj/contracts';
import { assertSignatureAccepts, decodeOrRefuse, elementArb, mutateBytesArb, propertyRuns, signatureArb, tensorBytes, validRequestArb, type ValidRequest } from '@falaj/testing';
import { decodeGrpcInferRequest, type GrpcModelInferRequest } from './grpc-infer.codec';
import { OIP_GRPC_LOADER_OPTIONS, OIP_GRPC_PROTO_PATH } from './grpc-proto-path';

/**
 * Property of the gRPC ModelInfer codec on what the server really receives: a message encoded
 * by the proto, its bytes mutated, decoded back by the same (de)serializer the server uses.
 * Bytes that are no ModelInferRequest are grpc-js's to refuse; every message that does decode
 * is either a request the signature accepts or an OipError(4xx) with a message.
 */
const definition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
const modelInfer = (definition['inference.GRPCInferenceService'] as protoLoader.ServiceDefinition).ModelInfer;
const serialize = (message: object): Buffer => modelInfer.requestSerialize(message);
const deserialize = (bytes: Buffer): GrpcModelInferRequest | undefined => {
  try {
    return modelInfer.requestDeserialize(bytes);
  } catch {
    return undefined;
  }
};

const TYPED_FIELD: Record<string, string> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** A valid request as a gRPC client sends it: all inputs raw, or typed contents where the datatype has a field. */
function grpcMessage(request: ValidRequest, raw: boolean): GrpcModelInferRequest {
  const useRaw = raw || request.tensors.some((t) => t.datatype === 'FP16');
  return {
    model_name: 'm',
    id: typeof request.body.id === 'string' ? request.body.id : '',
    inputs: request.tensors.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape.map(String),
      ...(useRaw ? {} : { contents: { [TYPED_FIELD[t.datatype]]: t.datatype === 'BYTES' ? t.values.map((v) => Buffer.from(v as string)) : t.values } }),
    })),
    outputs: Array.isArray(request.body.outputs) ? (request.body.outputs as Array<{ name: string }>).map((o) => ({ name: o.name })) : [],
    raw_input_contents: useRaw ? request.tensors.map(tensorBytes) : [],
  };
}

/** Field-level oddities a client may send that survive the proto: odd shapes, datatypes, counts, parameters. */
const oddityArb = fc.record({
  shape: fc.option(fc.array(fc.constantFrom('0', '-1', '1', '4', '4294967296', '9007199254740993', '18446744073709551615', '-9223372036854775808'), { maxLength: 4 }), { nil: undefined }),
  datatype: fc.option(fc.constantFrom('', 'FP32', 'fp32', 'BYTES', 'FP16', 'INT64', '\u0000', 'TYPE_FP32'), { nil: undefined }),
  name: fc.option(fc.constantFrom('', 'input', 'x', '__proto__', 'constructor'), { nil: undefined }),
  dropRaw: fc.boolean(),
  extraRaw: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
  contents: fc.option(
    fc.record(
      {
        int64_contents: fc.array(fc.constantFrom('1', '-1', '9223372036854775808', '18446744073709551616'), { maxLength: 3 }),
        fp32_contents: fc.array(fc.double(), { maxLength: 3 }),
        uint_contents: fc.array(fc.nat(), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
  parameters: fc.option(
    fc.dictionary(
      fc.constantFrom('binary_data_output', '__proto__', 'priority', 'x'),
      fc.oneof(
        fc.record({ bool_param: fc.boolean() }),
        fc.record({ int64_param: fc.constantFrom('1', '-9223372036854775808') }),
        fc.record({ string_param: fc.string({ maxLength: 4 }) }),
        fc.record({ uint64_param: fc.constant('18446744073709551615') }),
      ),
    ),
    { nil: undefined },
  ),
  at: fc.nat(),
});

function check(signature: ModelSignature, message: GrpcModelInferRequest | undefined): void {
  if (message === undefined) return;
  const started = performance.now();
  const outcome = decodeOrRefuse(() => decodeGrpcInferRequest(message, signature));
  expect(performance.now() - started).toBeLessThan(500);
  if (outcome.ok) assertSignatureAccepts(signature, outcome.value);
}

describe('decodeGrpcInferRequest (property)', () => {
  it('decodes every valid message of any signature, raw or typed, through the proto', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => fc.tuple(fc.constant(s), validRequestArb(s), fc.boolean())),
        ([s, r, raw]) => {
          const message = deserialize(serialize(grpcMessage(r, raw)));
          const outcome = decodeOrRefuse(() => decodeGrpcInferRequest(message!, s));
          expect(outcome).toMatchObject({ ok: true });
          if (outcome.ok) assertSignatureAccepts(s, outcome.value);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('accepts or refuses with an OipError(4xx) a valid message with field-level oddities', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => fc.tuple(fc.constant(s), validRequestArb(s), fc.boolean(), oddityArb)),
        ([s, r, raw, odd]) => {
          const message = grpcMessage(r, raw);
          const input = message.inputs![odd.at % message.inputs!.length];
          if (odd.shape) input.shape = odd.shape;
          if (odd.datatype !== undefined) input.datatype = odd.datatype;
          if (odd.name !== undefined) input.name = odd.name;
          if (odd.contents) input.contents = odd.contents;
          if (odd.dropRaw) message.raw_input_contents = message.raw_input_contents!.slice(1);
          if (odd.extraRaw) message.raw_input_contents!.push(Buffer.from(odd.extraRaw));
          if (odd.parameters) message.parameters = Object.fromEntries(Object.entries(odd.parameters));
          check(s, deserialize(serialize(message)));
        },
      ),
      { numRuns: propertyRuns(500) },
    );
  });

  it('accepts or refuses any decodable mutation of a valid message’s bytes', () => {
    let decodable = 0;
    fc.assert(
      fc.property(
        signatureArb.chain((s) => fc.tuple(fc.constant(s), validRequestArb(s), fc.boolean()).chain(([, r, raw]) => fc.tuple(fc.constant(s), mutateBytesArb(serialize(grpcMessage(r, raw)))))),
        ([s, bytes]) => {
          const message = deserialize(bytes);
          if (message) decodable++;
          check(s, message);
        },
      ),
      { numRuns: propertyRuns(600) },
    );
    // The mutations must mostly reach the codec, not only the proto's own refusal.
    expect(decodable).toBeGreaterThan(propertyRuns(600) / 10);
  });

  it('accepts or refuses arbitrary bytes that happen to decode', () => {
    fc.assert(
      fc.property(signatureArb, fc.uint8Array({ maxLength: 128 }), (s, bytes) => check(s, deserialize(Buffer.from(bytes)))),
      { numRuns: propertyRuns(400) },
    );
  });

  it('keeps typed FP32 contents as sent, NaN included (elementArb sanity)', () => {
    const signature: ModelSignature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [2] }] };
    fc.assert(
      fc.property(fc.tuple(elementArb('FP32'), fc.constant(Number.NaN)), (values) => {
        const message = deserialize(serialize({ inputs: [{ name: 'x', datatype: 'FP32', shape: ['2'], contents: { fp32_contents: values } }] }))!;
        const decoded = decodeGrpcInferRequest(message, signature);
        expect(decoded.inputs[0].data.length).toBe(8);
      }),
      { numRuns: propertyRuns(50) },
    );
  });
});

import { gzipSync, deflateRawSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import * as protoLoader from '@grpc/proto-loader';
import { INFERENCE_HEADER_CONTENT_LENGTH, OIP_GRPC_LOADER_OPTIONS, OIP_GRPC_PROTO_PATH } from '@falaj/oip';
import { TINY_MLP_SIGNATURE, mutateBytesArb, mutateJsonArb, nastyValueArb, tensorBytes, validRequestArb } from './oip-arbitraries';

/**
 * The bad requests of the gateway fuzz run, generated with fast-check from a seed: REST (OIP
 * JSON, Triton's binary extension, KServe v1, odd paths, methods, headers and encodings, gzip
 * garbage, raw malformed HTTP), gRPC ModelInfer (odd messages and mutated bytes) and Kafka
 * stream messages. Every case is for the model `tiny-mlp` of the fuzzing tenant; `known` names
 * the issue 11 item a case would trip today, so the run can leave exactly those out.
 */
export const FUZZ_MODEL = 'tiny-mlp';

export interface RestCase {
  protocol: 'rest';
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  known?: string;
}

/** Bytes written as they are to a fresh TCP connection: what no HTTP client library would send. */
export interface RawHttpCase {
  protocol: 'raw-http';
  kind: string;
  /** `{token}` is replaced by the bearer token. */
  bytes: string;
  known?: string;
}

export interface GrpcCase {
  protocol: 'grpc';
  kind: string;
  /** The serialized ModelInferRequest, sent as it is. */
  bytes: Buffer;
  metadata: Record<string, string>;
  known?: string;
}

export interface KafkaCase {
  protocol: 'kafka';
  kind: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Besides the authorization header the run adds (unless `omitToken`). */
  headers: Record<string, Buffer | string | null | Array<Buffer | string | null>>;
  /** The header name the token goes under (any case). */
  tokenHeader: string;
  known?: string;
}

export type FuzzCase = RestCase | RawHttpCase | GrpcCase | KafkaCase;

/** Inputs that tripped an issue 11 item before its fix (all fixed now; the fuzz run sends them and counts them apart). */
export const KNOWN_ISSUES = {
  auditNul: 'issue 11 item 1: a NUL in audited text (the model name, or an error message echoing the request) makes Postgres refuse the audit batch and stalls the audit consumer',
  grpcInternal: 'issue 11 item 8: bytes that are no ModelInferRequest are answered INTERNAL (grpc-js deserialization), not INVALID_ARGUMENT',
  replyTopic: 'issue 11 item 3: a syntactically valid reply-topic outside the tenant namespace (e.g. "..") can stop the streaming consumer',
  /**
   * Found by this fuzz run, in item 3's area: kafkajs decodes a header named after an
   * Object.prototype property (`__proto__`, `constructor`, `toString`) as `[<inherited value>,
   * value]`; the bridge copies the headers into the dead letter, kafkajs cannot encode them
   * (TypeError, non-retriable), and the streaming consumer crashes for good while readiness stays 200.
   */
  prototypeHeader: 'issue 11 item 3 (found by the fuzz run): a Kafka header named __proto__/constructor/toString crashes the streaming consumer for good when it is dead-lettered',
} as const;

/** `arb` one time in `n`, otherwise undefined. */
function oneIn<T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const NUL_ESCAPE = /\\u0000/i;
/** Whether JSON text would put a NUL into a parsed string or into a JSON.parse error message. */
function carriesNul(text: Buffer | string): boolean {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  return s.includes('\0') || NUL_ESCAPE.test(s);
}

const validTiny = validRequestArb(TINY_MLP_SIGNATURE);
const jsonTiny = validTiny.map((r) => ({ ...r, body: { ...r.body } }));

/** An OIP JSON body of tiny-mlp: 1 in 10 valid, the rest mutated. */
const oipJsonBodyArb: fc.Arbitrary<unknown> = jsonTiny.chain((r) =>
  r.binary ? fc.constant(jsonOnly(r.tensors)) : fc.oneof({ weight: 1, arbitrary: fc.constant(r.body) }, { weight: 9, arbitrary: mutateJsonArb(r.body) }),
);

function jsonOnly(tensors: Array<{ name: string; datatype: string; shape: number[]; values: unknown[] }>): unknown {
  return { inputs: tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.values })) };
}

const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '*/*',
  'application/json;;',
  'x',
);

const modelPathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(FUZZ_MODEL) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.constantFrom(
        'TINY-MLP',
        'tiny-mlp%20',
        'tiny-mlp ',
        '%2e%2e',
        '..',
        '.',
        'tiny%2Dmlp',
        'tiny-mlp%2F',
        '%C3%A9',
        '%ff',
        '%',
        '%25',
        '~',
        '-',
        '_',
        'a'.repeat(300),
        'tiny-mlp;x=1',
        'tiny-mlp%3Bx',
        '%E2%80%AE',
        'tiny-mlp%0A',
        '%u0041',
        '%00',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    ),
  },
);
const versionPathArb = fc.constantFrom('1', '01', '0', '-1', '2', '99999999999999999999', '1.5', '1e0', 'latest', 'production', '%20', '%00', 'a'.repeat(100));

function restKnown(path: string, jsonPart: Buffer | undefined): string | undefined {
  if (/%00/i.test(path)) return KNOWN_ISSUES.auditNul;
  if (jsonPart && carriesNul(jsonPart)) return KNOWN_ISSUES.auditNul;
  return undefined;
}

const inferPath = (model: string, version?: string) => (version === undefined ? `/v2/models/${model}/infer` : `/v2/models/${model}/versions/${version}/infer`);

const oipJsonCase: fc.Arbitrary<RestCase> = fc
  .record({ body: oipJsonBodyArb, type: contentTypeArb, model: modelPathArb, version: oneIn(5, versionPathArb), raw: oneIn(8, fc.uint8Array({ maxLength: 200 })) })
  .map(({ body, type, model, version, raw }) => {
    const bytes = raw ? Buffer.from(raw) : Buffer.from(JSON.stringify(body) ?? 'null');
    const path = inferPath(model, version);
    return { protocol: 'rest', kind: raw ? 'rest-json-garbage' : 'rest-json', method: 'POST', path, headers: { 'content-type': type }, body: bytes, known: restKnown(path, bytes) };
  });

/** `Inference-Header-Content-Length` values around the valid one, and malformed ones. */
export const headerLengthArb = (valid: number): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(String(valid)) },
    { weight: 3, arbitrary: fc.integer({ min: -8, max: 8 }).map((d) => String(valid + d)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        '',
        ' ',
        '-1',
        '0',
        '1e3',
        '0x10',
        `${valid}, ${valid}`,
        '99999999999999999999',
        String(2 ** 53),
        `+${valid}`,
        ` ${valid} `,
        `${valid}\t`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) },
  );

const binaryCase: fc.Arbitrary<RestCase> = validTiny.chain((r) => {
  // Every input binary: the header and the tensor bytes.
  const header = { ...r.body, inputs: r.tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: tensorBytes(t).length } })) };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const whole = Buffer.concat([headerBytes, ...r.tensors.map(tensorBytes)]);
  return fc
    .record({
      body: fc.oneof(
        { weight: 1, arbitrary: fc.constant(whole) },
        { weight: 3, arbitrary: mutateBytesArb(whole) },
        { weight: 2, arbitrary: mutateJsonArb(header).map((h) => Buffer.concat([Buffer.from(JSON.stringify(h) ?? 'null'), ...r.tensors.map(tensorBytes)])) },
      ),
      length: headerLengthArb(headerBytes.length),
      outputs: fc.constantFrom(undefined, true, false),
    })
    .map(({ body, length }) => {
      const declared = length !== undefined && /^\d+$/.test(length.trim()) ? Number(length.trim()) : undefined;
      const jsonPart = length === undefined ? body : declared !== undefined && declared <= body.length ? body.subarray(0, declared) : undefined;
      const path = inferPath(FUZZ_MODEL);
      return {
        protocol: 'rest' as const,
        kind: 'rest-binary',
        method: 'POST',
        path,
        headers: { 'content-type': 'application/octet-stream', ...(length !== undefined ? { [INFERENCE_HEADER_CONTENT_LENGTH]: length } : {}) },
        body,
        known: restKnown(path, jsonPart),
      };
    });
});

const kserveBodyArb: fc.Arbitrary<unknown> = fc.array(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 3 }).chain((rows) => {
  const valid = fc.constantFrom<unknown>({ instances: rows }, { inputs: rows }, { inputs: { input: rows } }, { instances: rows.map((row) => ({ input: row })) });
  return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 4, arbitrary: valid.chain(mutateJsonArb) }, { weight: 1, arbitrary: fc.record({ instances: nastyValueArb }) });
});

const kserveCase: fc.Arbitrary<RestCase> = fc
  .record({
    body: kserveBodyArb,
    target: fc.oneof(
      { weight: 5, arbitrary: fc.constant(`${FUZZ_MODEL}:predict`) },
      { weight: 1, arbitrary: fc.constantFrom(':predict', `${FUZZ_MODEL}:explain`, `${FUZZ_MODEL}:predict:predict`, `${FUZZ_MODEL}%3Apredict`, `${FUZZ_MODEL}`, `%00:predict`, `..:predict`) },
    ),
    type: contentTypeArb,
  })
  .map(({ body, target, type }) => {
    const bytes = Buffer.from(JSON.stringify(body) ?? 'null');
    const path = `/v1/models/${target}`;
    return { protocol: 'rest', kind: 'rest-kserve-v1', method: 'POST', path, headers: { 'content-type': type }, body: bytes, known: restKnown(path, bytes) };
  });

let bomb: Buffer | undefined;
/** 64 MiB of zeros in 64 KiB, made once. */
const gzipBomb = (): Buffer => (bomb ??= gzipSync(Buffer.alloc(64 << 20)));

/** Bodies under Content-Encoding: valid and broken gzip/deflate, unsupported codings, a small bomb. */
const encodingCase: fc.Arbitrary<RestCase> = fc
  .record({
    body: oipJsonBodyArb,
    coding: fc.constantFrom('gzip', 'deflate', 'deflate-raw', 'gzip-truncated', 'gzip-garbage', 'gzip-flipped', 'bomb', 'br', 'identity', 'gzip, gzip', 'GZIP', 'x-gzip', 'compress', '', 'gzip;q=1'),
    garbage: fc.uint8Array({ maxLength: 64 }),
    at: fc.nat(),
    accept: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', '*', 'gzip;q=0', 'identity;q=0', 'x'.repeat(200), ',,,'),
  })
  .map(({ body, coding, garbage, at, accept }) => {
    const plain = Buffer.from(JSON.stringify(body) ?? 'null');
    let sent: Buffer;
    let header = coding;
    let inflated: Buffer | undefined = plain;
    switch (coding) {
      case 'gzip':
      case 'gzip, gzip':
      case 'GZIP':
      case 'x-gzip':
      case 'gzip;q=1':
        sent = gzipSync(plain);
        if (coding === 'gzip, gzip') sent = gzipSync(sent);
        break;
      case 'deflate':
        sent = deflateSync(plain);
        break;
      case 'deflate-raw':
        sent = deflateRawSync(plain);
        header = 'deflate';
        break;
      case 'gzip-truncated': {
        const full = gzipSync(plain);
        sent = full.subarray(0, at % full.length);
        header = 'gzip';
        break;
      }
      case 'gzip-garbage':
        sent = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(garbage)]);
        header = 'gzip';
        inflated = undefined;
        break;
      case 'gzip-flipped': {
        sent = Buffer.from(gzipSync(plain));
        sent[at % sent.length] ^= 0x41;
        header = 'gzip';
        break;
      }
      case 'bomb':
        // 64 MiB of zeros in 64 KiB: stops at the body limit (413), decoded or not.
        sent = gzipBomb();
        header = 'gzip';
        inflated = undefined;
        break;
      default:
        sent = plain;
    }
    const path = inferPath(FUZZ_MODEL);
    return {
      protocol: 'rest' as const,
      kind: `rest-encoding-${coding || 'empty'}`,
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'content-encoding': header, ...(accept ? { 'accept-encoding': accept } : {}) },
      body: sent,
      known: restKnown(path, inflated),
    };
  });

/** Odd routes and methods of the OIP and KServe surface (not /admin: its proxy is issue 11 item 7's). */
const routeCase: fc.Arbitrary<RestCase> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST'),
    model: modelPathArb,
    version: versionPathArb,
    tail: fc.constantFrom('', '/ready', '/infer', '/versions', '/versions/', '//infer', '/infer/', '/infer?x=%', '/infer?x=1&x=2', '/./infer', '/infer#frag'),
    prefix: fc.constantFrom('/v2/models/', '/v2/models/', '/v1/models/', '/v2//models/', '/V2/models/', '/v2/models', '/v2/health/', '/v2/repository/index/'),
  })
  .map(({ method, model, version, tail, prefix }) => {
    const path = `${prefix}${model}${tail.startsWith('/versions') ? `/versions/${version}` : tail}`;
    return { protocol: 'rest', kind: 'rest-route', method, path, headers: {}, body: method === 'POST' || method === 'PUT' ? Buffer.from('{}') : undefined, known: restKnown(path, undefined) };
  });

/** Headers a client may get wrong: request ids, routing and pinning headers, accept, odd content types. */
const headerCase: fc.Arbitrary<RestCase> = fc
  .record({
    body: oipJsonBodyArb,
    // (Expect is sent raw: undici refuses it.)
    name: fc.constantFrom(
      'x-request-id',
      'x-routing-key',
      'x-falaj-pin-version',
      'accept',
      'accept-encoding',
      'content-type',
      'traceparent',
      'x-forwarded-for',
      'inference-header-content-length',
      'x-falaj-tenant',
      'content-language',
    ),
    value: fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        'a'.repeat(8000),
        '1',
        '-1',
        '../..',
        '*',
        'application/json, text/plain',
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'garbage',
        '2',
        '99999999999999999999',
        'acme',
        '100-continue',
        'é',
      ),
      fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    ),
  })
  .map(({ body, name, value }) => {
    const bytes = Buffer.from(JSON.stringify(body) ?? 'null');
    const path = inferPath(FUZZ_MODEL);
    return { protocol: 'rest', kind: `rest-header-${name}`, method: 'POST', path, headers: { 'content-type': 'application/json', [name]: value }, body: bytes, known: restKnown(path, bytes) };
  });

/** The REST cases, weighted towards the decoders. */
export const restCaseArb: fc.Arbitrary<RestCase> = fc.oneof(
  { weight: 5, arbitrary: oipJsonCase },
  { weight: 3, arbitrary: binaryCase },
  { weight: 2, arbitrary: kserveCase },
  { weight: 2, arbitrary: encodingCase },
  { weight: 1, arbitrary: routeCase },
  { weight: 1, arbitrary: headerCase },
);

const AUTH = 'Authorization: Bearer {token}\r\n';
const POST = (headers: string, body = '{}') => `POST /v2/models/${FUZZ_MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}${headers}\r\n${body}`;
/** Malformed HTTP/1.1 at the protocol level, each on a fresh connection. */
export const RAW_HTTP_CASES: RawHttpCase[] = [
  ['no host', `POST /v2/models/${FUZZ_MODEL}/infer HTTP/1.1\r\n${AUTH}Content-Length: 2\r\n\r\n{}`],
  ['bad request line', 'POST  /v2 HTTP/1.1 x\r\nHost: a\r\n\r\n'],
  ['http/0.9', `GET /v2/health/ready\r\n\r\n`],
  ['http/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['unknown version', `GET /v2/health/ready HTTP/9.9\r\nHost: a\r\n\r\n`],
  ['header without colon', POST('Content-Length: 2\r\nX-Broken\r\n')],
  ['obs-fold', POST('Content-Length: 2\r\nX-Folded: a\r\n b\r\n')],
  ['space before colon', POST('Content-Length : 2\r\n')],
  ['two content-lengths', POST('Content-Length: 2\r\nContent-Length: 3\r\n')],
  ['content-length letters', POST('Content-Length: abc\r\n')],
  ['content-length negative', POST('Content-Length: -1\r\n')],
  ['chunked and content-length', POST('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n')],
  ['bad chunk size', POST('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n')],
  ['huge chunk size', POST('Transfer-Encoding: chunked\r\n', 'ffffffffffffffffff\r\n{}\r\n0\r\n\r\n')],
  ['chunked twice', POST('Transfer-Encoding: chunked, chunked\r\n', '2\r\n{}\r\n0\r\n\r\n')],
  ['unknown transfer-encoding', POST('Transfer-Encoding: gzip\r\n')],
  ['header with NUL', POST('Content-Length: 2\r\nX-Nul: a\0b\r\n')],
  ['header with CR', POST('Content-Length: 2\r\nX-Cr: a\rb\r\n')],
  ['a 40 KB header', POST(`Content-Length: 2\r\nX-Big: ${'a'.repeat(40_000)}\r\n`)],
  ['500 headers', POST(`Content-Length: 2\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join('')}`)],
  ['absolute-form target', `POST http://127.0.0.1/v2/models/${FUZZ_MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Length: 2\r\n\r\n{}`],
  ['asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['target with spaces', `GET /v2/models/tiny mlp HTTP/1.1\r\nHost: a\r\n${AUTH}\r\n`],
  ['target with raw UTF-8', `GET /v2/models/\u00e9 HTTP/1.1\r\nHost: a\r\n${AUTH}\r\n`],
  ['LF only', `POST /v2/models/${FUZZ_MODEL}/infer HTTP/1.1\nHost: a\nAuthorization: Bearer {token}\nContent-Length: 2\n\n{}`],
  ['expect 100-continue', POST('Content-Length: 2\r\nExpect: 100-continue\r\n')],
  ['expect unknown', POST('Content-Length: 2\r\nExpect: 200-ok\r\n')],
  ['gzip body claimed, none sent', POST('Content-Encoding: gzip\r\nContent-Length: 0\r\n', '')],
  ['binary header length, no body', POST('Content-Type: application/octet-stream\r\nInference-Header-Content-Length: 5\r\nContent-Length: 0\r\n', '')],
  // (Not CONNECT: Node closes such a connection without an answer when no proxy listens, by design.)
].map(([kind, bytes]) => ({ protocol: 'raw-http' as const, kind: `raw-http-${kind}`, bytes, known: undefined }));

const grpcDefinition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
const modelInfer = (grpcDefinition['inference.GRPCInferenceService'] as protoLoader.ServiceDefinition).ModelInfer;
const serializeInfer = (message: object): Buffer => modelInfer.requestSerialize(message);
/** The message as the server will decode it, or undefined when the bytes are no ModelInferRequest. */
export function decodeModelInfer(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    return modelInfer.requestDeserialize(bytes) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsOf(v, out));
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) Object.values(value).forEach((v) => stringsOf(v, out));
  return out;
}

const grpcMessageArb = validTiny.chain((r) =>
  fc
    .record({
      model: fc.oneof({ weight: 6, arbitrary: fc.constant(FUZZ_MODEL) }, { weight: 1, arbitrary: fc.constantFrom('', 'TINY-MLP', '..', 'a'.repeat(300), '\u0000', 'tiny-mlp\u0000', 'é') }),
      version: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('', '1') }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '99999999999999999999', 'latest', '1.0') }),
      raw: fc.boolean(),
      shape: oneIn(3, fc.array(fc.constantFrom('0', '1', '4', '-1', '4294967296', '9007199254740993', '18446744073709551615'), { maxLength: 3 })),
      datatype: oneIn(4, fc.constantFrom('', 'fp32', 'FP16', 'BYTES', 'INT64', 'TYPE_FP32', 'FP32 ')),
      name: oneIn(4, fc.constantFrom('', 'x', 'probabilities', '__proto__', 'input ')),
      extraInput: fc.boolean(),
      dropRaw: fc.boolean(),
      outputs: fc.array(fc.constantFrom('probabilities', 'probabilities', '', 'input', 'nope'), { maxLength: 2 }),
      parameters: oneIn(
        3,
        fc.dictionary(
          fc.constantFrom('binary_data_output', 'priority', '__proto__', 'timeout'),
          fc.oneof(fc.record({ bool_param: fc.boolean() }), fc.record({ int64_param: fc.constantFrom('1', '-9223372036854775808') }), fc.record({ string_param: fc.string({ maxLength: 8 }) })),
        ),
      ),
    })
    .map((o) => {
      const t = r.tensors[0];
      const input: Record<string, unknown> = { name: o.name ?? t.name, datatype: o.datatype ?? t.datatype, shape: o.shape ?? t.shape.map(String) };
      if (!o.raw) input.contents = { fp32_contents: t.values };
      const inputs = o.extraInput ? [input, { ...input }] : [input];
      const raw = o.raw ? inputs.map(() => tensorBytes(t)) : [];
      return {
        model_name: o.model,
        model_version: o.version,
        id: typeof r.body.id === 'string' ? r.body.id : '',
        inputs,
        outputs: o.outputs.map((name) => ({ name })),
        raw_input_contents: o.dropRaw ? raw.slice(1) : raw,
        ...(o.parameters ? { parameters: Object.fromEntries(Object.entries(o.parameters)) } : {}),
      };
    }),
);

const grpcMetadataArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Record<string, string>>({}) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        key: fc.constantFrom('x-request-id', 'x-routing-key', 'x-falaj-pin-version', 'traceparent', 'x-forwarded-for'),
        value: fc.constantFrom('', 'a'.repeat(4000), '../..', '2', '-1', 'acme', '99999999999999999999'),
      })
      .map(({ key, value }) => ({ [key]: value })),
  },
);

/** gRPC ModelInfer cases: odd but decodable messages, and mutated bytes of valid ones. */
export const grpcCaseArb: fc.Arbitrary<GrpcCase> = fc
  .record({
    message: grpcMessageArb,
    mutate: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 3, arbitrary: fc.constant(false) }),
    garbage: oneIn(20, fc.uint8Array({ maxLength: 64 })),
    metadata: grpcMetadataArb,
  })
  .chain(({ message, mutate, garbage, metadata }) => {
    const valid = serializeInfer(message);
    const bytesArb = garbage ? fc.constant(Buffer.from(garbage)) : mutate ? mutateBytesArb(valid) : fc.constant(valid);
    return bytesArb.map((bytes): GrpcCase => {
      const decoded = decodeModelInfer(bytes);
      const known = decoded === undefined ? KNOWN_ISSUES.grpcInternal : stringsOf(decoded).some((s) => s.includes('\0')) ? KNOWN_ISSUES.auditNul : undefined;
      return { protocol: 'grpc', kind: garbage ? 'grpc-garbage' : mutate ? 'grpc-mutated-bytes' : 'grpc-message', bytes, metadata, known };
    });
  });

const kafkaValid = { model_name: FUZZ_MODEL, id: 'fuzz', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0.1, 0.2, 0.3, 0.4] }] };
const kafkaValidBytes = Buffer.from(JSON.stringify(kafkaValid));

/** Kafka stream messages for the requests topic: odd values, keys and headers; a valid token added by the run. */
export function kafkaCaseArb(replyNamespace: string): fc.Arbitrary<KafkaCase> {
  const headerValue = fc.oneof(
    fc.constantFrom<Buffer | string | null>(
      null,
      '',
      'x',
      'a'.repeat(300),
      '..',
      '.',
      'acme',
      'other',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'no spaces allowed',
      replyNamespace,
      `${replyNamespace}.ok`,
      `${replyNamespace}.`,
      `${replyNamespace}..x`,
    ),
    fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
  );
  return fc
    .record({
      key: fc.oneof(
        fc.constant(null),
        fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.from('k'.repeat(300))),
      ),
      value: fc.oneof(
        { weight: 1, arbitrary: fc.constant<Buffer | null>(kafkaValidBytes) },
        { weight: 1, arbitrary: fc.constant<Buffer | null>(null) },
        { weight: 2, arbitrary: mutateBytesArb(kafkaValidBytes) },
        { weight: 5, arbitrary: mutateJsonArb(kafkaValid).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
      ),
      headers: fc.dictionary(
        fc.constantFrom('request-id', 'Request-Id', 'reply-topic', 'tenant', 'traceparent', 'x-other', '__proto__', 'constructor'),
        fc.oneof(headerValue, fc.array(headerValue, { maxLength: 2 })),
        { maxKeys: 3 },
      ),
      tokenHeader: fc.constantFrom('authorization', 'authorization', 'authorization', 'Authorization', 'AUTHORIZATION'),
    })
    .map(({ key, value, headers, tokenHeader }): KafkaCase => {
      const copy = Object.fromEntries(Object.entries(headers)) as KafkaCase['headers'];
      const firstOf = (name: string) => {
        const v = Object.entries(copy).find(([k]) => k.toLowerCase() === name)?.[1];
        const first = Array.isArray(v) ? v.find((x) => x !== null) : v;
        return first === null || first === undefined ? undefined : first.toString();
      };
      const reply = firstOf('reply-topic');
      const replyOk =
        reply === undefined ||
        !/^[a-zA-Z0-9._-]{1,249}$/.test(reply) ||
        reply === replyNamespace ||
        /^[a-zA-Z0-9_-]{1,100}$/.test(reply.startsWith(`${replyNamespace}.`) ? reply.slice(replyNamespace.length + 1) : '');
      const nul = (value !== null && carriesNul(value)) || (firstOf('request-id') ?? '').includes('\0') || (key !== null && firstOf('request-id') === undefined && key.includes(0));
      const prototypeName = Object.keys(copy).some((name) => name in Object.prototype);
      const known = nul ? KNOWN_ISSUES.auditNul : !replyOk ? KNOWN_ISSUES.replyTopic : prototypeName ? KNOWN_ISSUES.prototypeHeader : undefined;
      return { protocol: 'kafka', kind: 'kafka-message', key, value, headers: copy, tokenHeader, known };
    });
}

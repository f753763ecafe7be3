import { encodeBytesElements, type ModelSignature } from '@falaj/contracts';
import { decodeGrpcInferRequest } from './grpc-infer.codec';
import { decodeJsonInferRequest } from './json-infer-request.decoder';
import { decodeKserveV1Request } from './kserve-v1.codec';
import { OipError } from './oip.error';
import { DEFAULT_TENSOR_LIMITS, checkBytesElements, checkTensorElements, type TensorLimits } from './tensor-limits';

const LIMITS: TensorLimits = { maxElements: 4, maxBytesElementBytes: 8 };
const TEXT: ModelSignature = { inputs: [{ name: 't', datatype: 'BYTES', shape: [-1] }], outputs: [] };
const NUMBERS: ModelSignature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [] };

const ELEMENTS = "input 'x': shape [5] has 5 elements, over the limit of 4 per tensor (FALAJ_MAX_TENSOR_ELEMENTS)";
const LONG = "input 't': element 1 is 9 bytes, over the limit of 8 bytes per BYTES element (FALAJ_MAX_BYTES_ELEMENT_BYTES)";

function refusal(call: () => unknown): OipError {
  try {
    call();
  } catch (error) {
    if (error instanceof OipError) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** Every protocol's decoder, one tensor each: the same limit, the same words, 413. */
const PROTOCOLS = {
  'REST JSON': (signature: ModelSignature, name: string, values: unknown[]) =>
    decodeJsonInferRequest({ inputs: [{ name, datatype: signature.inputs[0].datatype, shape: [values.length], data: values }] }, signature, undefined, LIMITS),
  'REST binary': (signature: ModelSignature, name: string, values: unknown[]) => {
    const bytes = signature.inputs[0].datatype === 'BYTES' ? encodeBytesElements(values as string[]) : Buffer.from(Float32Array.from(values as number[]).buffer);
    const header = { inputs: [{ name, datatype: signature.inputs[0].datatype, shape: [values.length], parameters: { binary_data_size: bytes.length } }] };
    return decodeJsonInferRequest(header, signature, bytes, LIMITS);
  },
  'gRPC typed contents': (signature: ModelSignature, name: string, values: unknown[]) =>
    decodeGrpcInferRequest(
      {
        inputs: [
          {
            name,
            datatype: signature.inputs[0].datatype,
            shape: [String(values.length)],
            contents: signature.inputs[0].datatype === 'BYTES' ? { bytes_contents: (values as string[]).map((v) => Buffer.from(v)) } : { fp32_contents: values as number[] },
          },
        ],
      },
      signature,
      LIMITS,
    ),
  'gRPC raw contents': (signature: ModelSignature, name: string, values: unknown[]) =>
    decodeGrpcInferRequest(
      {
        inputs: [{ name, datatype: signature.inputs[0].datatype, shape: [String(values.length)] }],
        raw_input_contents: [signature.inputs[0].datatype === 'BYTES' ? encodeBytesElements(values as string[]) : Buffer.from(Float32Array.from(values as number[]).buffer)],
      },
      signature,
      LIMITS,
    ),
  'KServe v1': (signature: ModelSignature, _name: string, values: unknown[]) => decodeKserveV1Request({ instances: values }, signature, LIMITS),
};

describe('tensor limits on every protocol', () => {
  describe.each(Object.entries(PROTOCOLS))('%s', (_protocol, decode) => {
    it('refuses a tensor over the element limit with 413 naming FALAJ_MAX_TENSOR_ELEMENTS', () => {
      const error = refusal(() => decode(NUMBERS, 'x', [1, 2, 3, 4, 5]));
      expect({ status: error.status, message: error.message, limit: error.limit }).toEqual({ status: 413, message: ELEMENTS, limit: 'tensor_elements' });
    });

    it('refuses a BYTES element over the length limit with 413 naming FALAJ_MAX_BYTES_ELEMENT_BYTES', () => {
      const error = refusal(() => decode(TEXT, 't', ['ok', '123456789']));
      expect({ status: error.status, message: error.message, limit: error.limit }).toEqual({ status: 413, message: LONG, limit: 'bytes_element' });
    });

    it('takes tensors at the limits', () => {
      expect(decode(NUMBERS, 'x', [1, 2, 3, 4]).inputs[0].shape).toEqual([4]);
      expect(decode(TEXT, 't', ['12345678', '']).inputs[0].shape).toEqual([2]);
    });
  });
});

describe(checkTensorElements.name, () => {
  it('counts the shape, not the data: a [65536, 65536] shape is refused before any array is sized', () => {
    expect(() => checkTensorElements('x', [65536, 65536], DEFAULT_TENSOR_LIMITS)).toThrow(/has 4294967296 elements, over the limit of 16777216/);
    expect(() => checkTensorElements('x', [0, 65536, 65536], DEFAULT_TENSOR_LIMITS)).not.toThrow();
  });
});

describe(checkBytesElements.name, () => {
  it('walks BYTES lengths only and lets other datatypes pass', () => {
    expect(() => checkBytesElements('t', 'BYTES', encodeBytesElements(['a'.repeat(9)]), LIMITS)).toThrow(/element 0 is 9 bytes/);
    expect(() => checkBytesElements('t', 'UINT8', Buffer.alloc(100), LIMITS)).not.toThrow();
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => checkBytesElements('t', 'BYTES', encodeBytesElements(['ééééé']), LIMITS)).toThrow(/element 0 is 10 bytes/);
  });
});

import fc from 'fast-check';
import type { ModelSignature } from '@falaj/contracts';
import { TINY_MLP_SIGNATURE, assertSignatureAccepts, decodeOrRefuse, mutateBytesArb, propertyRuns, signatureArb, validRequestArb } from '@falaj/testing';
import { checkRawTensorBytes, splitInferBody } from './binary-tensor-data';
import { decodeJsonInferRequest } from './json-infer-request.decoder';

/**
 * Property of Triton's binary tensor data extension as the gateway reads a body: split at
 * `Inference-Header-Content-Length`, parse the header, take each input's bytes. For any body
 * bytes and any header value — a valid request's bytes mutated, a shifted or malformed length —
 * the result is a request the signature accepts or an OipError(4xx) with a message.
 */
const headerLengthArb = (valid: number): fc.Arbitrary<string | string[] | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(String(valid)) },
    { weight: 3, arbitrary: fc.integer({ min: -8, max: 8 }).map((d) => String(valid + d)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<string | string[] | undefined>(
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
        [],
        [String(valid), '0'],
        `${valid}\t`,
        '٣',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );

function decodeBody(signature: ModelSignature, body: Buffer, length: string | string[] | undefined): void {
  const started = performance.now();
  const outcome = decodeOrRefuse(() => {
    const { header, binary } = splitInferBody(body, length);
    return decodeJsonInferRequest(header, signature, binary);
  });
  expect(performance.now() - started).toBeLessThan(500);
  if (outcome.ok) {
    assertSignatureAccepts(signature, outcome.value);
    expect(outcome.value.inputs.reduce((sum, t) => sum + t.data.length, 0)).toBeLessThanOrEqual(8 * body.length);
  }
}

const encoded = (signature: ModelSignature) =>
  validRequestArb(signature).map((r) => {
    const json = Buffer.from(JSON.stringify(r.body));
    return { body: Buffer.concat([json, r.binary ?? Buffer.alloc(0)]), headerLength: json.length, binary: r.binary !== undefined };
  });

describe('binary tensor data extension (property)', () => {
  it('decodes every valid binary request of any signature', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => encoded(s).map((e) => ({ s, e }))),
        ({ s, e }) => {
          const { header, binary } = splitInferBody(e.body, String(e.headerLength));
          assertSignatureAccepts(s, decodeJsonInferRequest(header, s, binary));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('accepts or refuses with an OipError(4xx) mutated bytes under any header length', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => encoded(s).chain((e) => fc.record({ s: fc.constant(s), body: fc.oneof(fc.constant(e.body), mutateBytesArb(e.body)), length: headerLengthArb(e.headerLength) }))),
        ({ s, body, length }) => decodeBody(s, body, length),
      ),
      { numRuns: propertyRuns(500) },
    );
  });

  it('accepts or refuses arbitrary bytes for tiny-mlp under any header length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(300).chain(headerLengthArb), (bytes, length) => decodeBody(TINY_MLP_SIGNATURE, Buffer.from(bytes), length)),
      { numRuns: propertyRuns(300) },
    );
  });

  it('refuses BYTES data for a shape of 2^40 elements with a clear message, allocating nothing', () => {
    const outcome = decodeOrRefuse(() => checkRawTensorBytes('text', 'BYTES', [2 ** 20, 2 ** 20], Buffer.alloc(8)));
    expect(!outcome.ok && outcome.error.message).toBe("input 'text': 8 bytes of BYTES data cannot hold the 1099511627776 elements of shape [1048576,1048576] (4 bytes each at least)");
  });
});

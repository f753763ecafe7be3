import fc from 'fast-check';
import type { ModelSignature } from '@falaj/contracts';
import { TINY_MLP_SIGNATURE, assertSignatureAccepts, decodeOrRefuse, mutateJsonArb, nastyValueArb, propertyRuns, signatureArb, validRequestArb } from '@falaj/testing';
import { decodeJsonInferRequest } from './json-infer-request.decoder';

/**
 * Property: for any body — arbitrary JSON, or a valid request with a few structure-aware
 * mutations — decodeJsonInferRequest either returns tensors the signature accepts or refuses
 * with an OipError(4xx) and a message; never a TypeError or RangeError, in bounded time, and
 * never more tensor bytes than the body could describe.
 */
const MAX_MS = 500;

function check(signature: ModelSignature, body: unknown, binary?: Buffer): void {
  const started = performance.now();
  const outcome = decodeOrRefuse(() => decodeJsonInferRequest(body, signature, binary));
  expect(performance.now() - started).toBeLessThan(MAX_MS);
  if (!outcome.ok) return;
  assertSignatureAccepts(signature, outcome.value);
  // Bounded memory: at most 8 bytes of tensor (FP64, or a 4-byte BYTES length) per byte of JSON.
  const decoded = outcome.value.inputs.reduce((sum, t) => sum + t.data.length, 0);
  expect(decoded).toBeLessThanOrEqual(8 * JSON.stringify(body).length + (binary?.length ?? 0));
}

describe('decodeJsonInferRequest (property)', () => {
  it('decodes every valid request of any signature', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => validRequestArb(s).map((r) => ({ s, r }))),
        ({ s, r }) => {
          const outcome = decodeOrRefuse(() => decodeJsonInferRequest(r.body, s, r.binary));
          expect(outcome.ok).toBe(true);
          if (outcome.ok) assertSignatureAccepts(s, outcome.value);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('accepts or refuses with an OipError(4xx) any mutation of a valid request', () => {
    fc.assert(
      fc.property(
        signatureArb.chain((s) => validRequestArb(s).chain((r) => fc.record({ s: fc.constant(s), body: mutateJsonArb(r.body), binary: fc.constant(r.binary) }))),
        ({ s, body, binary }) => check(s, body, binary),
      ),
      { numRuns: propertyRuns(400) },
    );
  });

  it('accepts or refuses any mutation of a tiny-mlp request, with or without its binary section', () => {
    fc.assert(
      fc.property(
        validRequestArb(TINY_MLP_SIGNATURE).chain((r) =>
          fc
            .tuple(mutateJsonArb(r.body), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }), fc.boolean())
            .map(([body, bytes, keep]) => ({ body, binary: keep ? r.binary : bytes && Buffer.from(bytes) })),
        ),
        ({ body, binary }) => check(TINY_MLP_SIGNATURE, body, binary),
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('refuses arbitrary JSON with an OipError(4xx)', () => {
    fc.assert(
      fc.property(signatureArb, fc.oneof(fc.jsonValue(), nastyValueArb, fc.record({ inputs: fc.array(nastyValueArb, { maxLength: 3 }) })), (s, body) => check(s, body)),
      { numRuns: propertyRuns(400) },
    );
  });

  it('refuses a 4 MB INT64 decimal string at once, without parsing it', () => {
    const signature: ModelSignature = { inputs: [{ name: 'x', datatype: 'INT64', shape: [1] }], outputs: [{ name: 'y', datatype: 'INT64', shape: [1] }] };
    const request = { inputs: [{ name: 'x', datatype: 'INT64', shape: [1], data: ['9'.repeat(4 << 20)] }] };
    const started = performance.now();
    expect(() => decodeJsonInferRequest(request, signature)).toThrow(/out of range for INT64/);
    // Parsing 4 M digits into a BigInt takes seconds; refusing by length takes microseconds. The
    // bound leaves room for a loaded machine (the string itself is made before the clock starts).
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('keeps a refusal short when the client sends a huge value', () => {
    const signature: ModelSignature = { inputs: [{ name: 'x', datatype: 'UINT64', shape: [1] }], outputs: [{ name: 'y', datatype: 'INT64', shape: [1] }] };
    for (const value of ['9'.repeat(100_000), `${'1'.repeat(100_000)}x`]) {
      const outcome = decodeOrRefuse(() => decodeJsonInferRequest({ inputs: [{ name: 'x', datatype: 'UINT64', shape: [1], data: [value] }] }, signature));
      expect(!outcome.ok && outcome.error.message.length).toBeLessThan(300);
    }
  });
});

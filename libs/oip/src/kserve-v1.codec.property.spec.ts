import fc from 'fast-check';
import type { ModelSignature } from '@falaj/contracts';
import { TINY_MLP_SIGNATURE, assertSignatureAccepts, decodeOrRefuse, mutateJsonArb, nastyValueArb, nest, propertyRuns, signatureArb, validTensorArb } from '@falaj/testing';
import { decodeKserveV1Request } from './kserve-v1.codec';

/**
 * Property of KServe v1 `:predict` bodies: for any body — arbitrary JSON, or a valid
 * `instances`/`inputs` body with structure-aware mutations — decodeKserveV1Request returns
 * tensors the signature accepts or an OipError(4xx) with a message, in bounded time.
 */
/** Signatures KServe v1 can address: every input batched (rank ≥ 1, first dimension -1). */
const batchedSignatureArb = signatureArb.map((s): ModelSignature => ({
  inputs: s.inputs.map((i) => ({ ...i, shape: [-1, ...i.shape.slice(0, 2)] })),
  outputs: s.outputs,
}));

/** A valid body: one batch size for every input, as rows (`instances`) or columns (`inputs`). */
const validBodyArb = (signature: ModelSignature) =>
  fc.integer({ min: 1, max: 3 }).chain((batch) =>
    fc.tuple(fc.tuple(...signature.inputs.map((spec) => validTensorArb({ ...spec, shape: [batch, ...spec.shape.slice(1).map((d) => (d === -1 ? 2 : d))] }))), fc.boolean()).map(([tensors, rows]) => {
      const columns = tensors.map((t) => nest(t.values, t.shape));
      if (rows) {
        const instances = Array.from({ length: batch }, (_, b) => (signature.inputs.length === 1 ? columns[0][b] : Object.fromEntries(tensors.map((t, i) => [t.name, columns[i][b]]))));
        return { instances };
      }
      return { inputs: signature.inputs.length === 1 ? columns[0] : Object.fromEntries(tensors.map((t, i) => [t.name, columns[i]])) };
    }),
  );

function check(signature: ModelSignature, body: unknown): void {
  const started = performance.now();
  const outcome = decodeOrRefuse(() => decodeKserveV1Request(body, signature));
  expect(performance.now() - started).toBeLessThan(500);
  if (outcome.ok) assertSignatureAccepts(signature, outcome.value);
}

describe('decodeKserveV1Request (property)', () => {
  it('decodes every valid instances or inputs body', () => {
    fc.assert(
      fc.property(
        batchedSignatureArb.chain((s) => validBodyArb(s).map((body) => ({ s, body }))),
        ({ s, body }) => {
          const outcome = decodeOrRefuse(() => decodeKserveV1Request(body, s));
          expect(outcome).toMatchObject({ ok: true });
          if (outcome.ok) assertSignatureAccepts(s, outcome.value);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('accepts or refuses with an OipError(4xx) any mutation of a valid body', () => {
    fc.assert(
      fc.property(
        batchedSignatureArb.chain((s) => validBodyArb(s).chain((body) => fc.tuple(fc.constant(s), mutateJsonArb(body)))),
        ([s, body]) => check(s, body),
      ),
      { numRuns: propertyRuns(600) },
    );
  });

  it('accepts or refuses arbitrary JSON for tiny-mlp and any signature', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(TINY_MLP_SIGNATURE), signatureArb), fc.oneof(fc.jsonValue(), fc.record({ instances: nastyValueArb }), fc.record({ inputs: nastyValueArb })), (s, body) =>
        check(s, body),
      ),
      { numRuns: propertyRuns(500) },
    );
  });

  it('decodes tiny-mlp rows as one [batch, 4] tensor', () => {
    const decoded = decodeKserveV1Request(
      {
        instances: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
      },
      TINY_MLP_SIGNATURE,
    );
    expect(decoded.inputs[0].shape).toEqual([2, 4]);
  });
});

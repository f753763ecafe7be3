import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { mutateBytesArb, propertyRuns } from '@falaj/testing';
import { ModelScanError, scanOnnxModel } from '@falaj/onnx';

/**
 * Property of the structure scan the registry runs on every upload before onnxruntime sees it:
 * for arbitrary bytes and for mutated valid models it resolves to a scan, or rejects with its own
 * ModelScanError carrying a message (it fails closed) — never a TypeError or RangeError, never a
 * hang (2 s per file).
 */
const { onnx } = onnxProto;
const TINY_MLP = readFileSync(join(__dirname, '..', '..', '..', 'models', 'tiny-mlp.onnx'));
/** A model with a subgraph (If) and an initializer whose data is external: more of the walk to reach. */
const NESTED = Buffer.from(
  onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      graph: onnx.GraphProto.create({
        name: 'g',
        initializer: [onnx.TensorProto.create({ name: 'w', dims: [2, 3], dataType: 1, dataLocation: 1, externalData: [onnx.StringStringEntryProto.create({ key: 'location', value: 'w.bin' })] })],
        node: [
          onnx.NodeProto.create({
            opType: 'If',
            input: ['c'],
            output: ['y'],
            attribute: [
              onnx.AttributeProto.create({
                name: 'then_branch',
                type: 5,
                g: onnx.GraphProto.create({ name: 'then', initializer: [onnx.TensorProto.create({ name: 'v', dims: [4], dataType: 1, rawData: Buffer.alloc(16) })] }),
              }),
            ],
          }),
        ],
      }),
    }),
  ).finish(),
);

const WITHIN_MS = 2_000;
type Outcome = { ok: true; scan: Awaited<ReturnType<typeof scanOnnxModel>> } | { ok: false; error: unknown };

describe('scanOnnxModel (property)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'falaj-scan-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const scan = async (bytes: Uint8Array): Promise<Outcome> => {
    const path = join(dir, `m${n++}.onnx`);
    writeFileSync(path, bytes);
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`scan did not finish within ${WITHIN_MS} ms`)), WITHIN_MS)));
    try {
      return await Promise.race([
        scanOnnxModel(path).then(
          (scan) => ({ ok: true as const, scan }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
        hang,
      ]);
    } finally {
      clearTimeout(timer);
      rmSync(path, { force: true });
    }
  };
  const filesArb = fc.oneof(fc.uint8Array({ maxLength: 512 }), mutateBytesArb(TINY_MLP), mutateBytesArb(NESTED));

  it('scans the unmutated models', async () => {
    await expect(scan(NESTED)).resolves.toEqual({ ok: true, scan: { parameterCount: 6, externalDataLocations: ['w.bin'], largestTensor: { name: 'w', elements: 6, bytes: 24 } } });
  });

  it('resolves or rejects with its ModelScanError and a message, for any file, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, async (bytes) => {
        const outcome = await scan(bytes);
        if (outcome.ok) {
          expect(Number.isNaN(outcome.scan.parameterCount)).toBe(false);
          expect(outcome.scan.externalDataLocations.every((l) => typeof l === 'string')).toBe(true);
          return;
        }
        const error = outcome.error as Error;
        expect(error).toBeInstanceOf(ModelScanError);
        expect(error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: propertyRuns(300) },
    );
  }, 30_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constantOfShapeBomb, foldingBomb, identityOfShape, malformedExternalDataModel } from '../../../test/support/onnx-fixtures';
import { InvalidModelError, ModelScanError, checkOptimizedLoadInChild, inspectOnnxModelInChild, modelLimitProblems, scanOnnxModel } from '@falaj/onnx';

/** Real onnxruntime-node in a real child process; models built in memory. */
const TINY_MLP = join(__dirname, '..', '..', '..', 'models', 'tiny-mlp.onnx');
const LIMITS = { heapMb: 128, maxRssBytes: 512 * 1024 ** 2, timeoutMs: 30_000 };
const POLICY = { maxTensorElements: 2 ** 28, maxTensorBytes: 1024 ** 3 };

describe(inspectOnnxModelInChild.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'falaj-child-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('reads the signature, opset and producer of a valid model', async () => {
    await expect(inspectOnnxModelInChild(TINY_MLP, LIMITS)).resolves.toEqual({
      signature: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }] },
      opset: 17,
      producer: 'falaj-model-generator',
    });
  });

  it('loads the ConstantOfShape bomb without folding it, and the policy refuses its inferred output', async () => {
    const bomb = constantOfShapeBomb([32768, 32768]);
    expect(bomb.length).toBeLessThan(256);
    const path = write('bomb.onnx', bomb);
    const rssBefore = process.memoryUsage().rss;
    const inspected = await inspectOnnxModelInChild(path, LIMITS);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 ** 2);
    expect(inspected.signature.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [32768, 32768] }]);
    const problems = modelLimitProblems(inspected.signature, await scanOnnxModel(path), POLICY);
    expect(problems).toEqual(["output 'y' of shape [32768,32768] has 1073741824 elements, over the limit of 268435456 per tensor (FALAJ_MODEL_MAX_TENSOR_ELEMENTS)"]);
  });

  it('refuses a [65536, 65536, 65536] input by the policy', async () => {
    const path = write('huge-input.onnx', identityOfShape([65536, 65536, 65536]));
    const inspected = await inspectOnnxModelInChild(path, LIMITS);
    expect(modelLimitProblems(inspected.signature, await scanOnnxModel(path), POLICY)[0]).toMatch(/^input 'x' of shape \[65536,65536,65536\] has 281474976710656 elements, over the limit/);
  });

  it('refuses a bomb in the middle of the graph when it is loaded as the workers load it (folding on)', async () => {
    // 16384² floats = 1 GiB, which onnxruntime folds (it leaves a constant over 2 GiB alone).
    const path = write('folding-bomb.onnx', foldingBomb([16384, 16384]));
    // Nothing declared is large: the signature and the policy pass.
    const inspected = await inspectOnnxModelInChild(path, LIMITS);
    expect(modelLimitProblems(inspected.signature, await scanOnnxModel(path), POLICY)).toEqual([]);
    const rssBefore = process.memoryUsage().rss;
    await expect(checkOptimizedLoadInChild(path, LIMITS)).rejects.toThrow(/with graph optimisation on, as the workers load it: loading the model needed more than 536870912 bytes of memory/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 ** 2);
  });

  it('loads a valid model with folding on within the bounds', async () => {
    await expect(checkOptimizedLoadInChild(TINY_MLP, LIMITS)).resolves.toBeUndefined();
  });

  it('judges the child by its own memory, not by the larger process that spawned it', async () => {
    // Linux carries getrusage's maxrss across execve: a child of a 600 MiB parent "peaked" at
    // 600 MiB before loading anything (CI's Jest worker refused every valid model this way).
    const ballast = Buffer.alloc(600 * 1024 ** 2, 1);
    await expect(inspectOnnxModelInChild(TINY_MLP, LIMITS)).resolves.toMatchObject({ opset: 17 });
    await expect(checkOptimizedLoadInChild(TINY_MLP, LIMITS)).resolves.toBeUndefined();
    expect(ballast[ballast.length - 1]).toBe(1);
  });

  it('kills a child past its resident-memory limit and says why', async () => {
    await expect(inspectOnnxModelInChild(TINY_MLP, { ...LIMITS, maxRssBytes: 64 * 1024 ** 2 - 1 })).rejects.toThrow(/needed more than 67108863 bytes of memory/);
  });

  it('refuses a file that is not a model with onnxruntime’s reason', async () => {
    const attempt = inspectOnnxModelInChild(write('junk.onnx', Buffer.from('not a model')), LIMITS);
    await expect(attempt).rejects.toBeInstanceOf(InvalidModelError);
  });

  it('the scan refuses an external_data entry with an unknown field', async () => {
    const attempt = scanOnnxModel(write('bad-entry.onnx', malformedExternalDataModel()));
    await expect(attempt).rejects.toBeInstanceOf(ModelScanError);
    await expect(attempt).rejects.toThrow("tensor 'w': unreadable external_data entry (unknown field 3 of wire type 0)");
  });
});

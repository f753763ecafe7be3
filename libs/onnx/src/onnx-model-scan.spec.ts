import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import fc from 'fast-check';
import { ModelScanError, externalDataEscapes, scanOnnxModel } from '@falaj/onnx';

const { onnx } = onnxProto;
const TINY_MLP = join(__dirname, '..', '..', '..', 'models', 'tiny-mlp.onnx');

/** A one-initializer model whose weight lives in an external file at `location`. */
function modelWithExternalWeight(location: string | null, dims = [3, 5]): Buffer {
  const tensor = onnx.TensorProto.create({
    name: 'w',
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    ...(location === null
      ? { rawData: Buffer.alloc(dims.reduce((a, b) => a * b, 1) * 4) }
      : { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [onnx.StringStringEntryProto.create({ key: 'location', value: location })] }),
  });
  const graph = onnx.GraphProto.create({ name: 'g', initializer: [tensor], node: [onnx.NodeProto.create({ opType: 'Identity', input: ['w'], output: ['y'] })] });
  return Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, graph })).finish());
}

describe('scanOnnxModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'falaj-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('counts the parameters of the tiny MLP (4·8 + 8 + 8·3 + 3)', async () => {
    await expect(scanOnnxModel(TINY_MLP)).resolves.toMatchObject({ parameterCount: 67, externalDataLocations: [], largestTensor: { elements: 32, bytes: 128 } });
  });

  it('finds the external-data location of a tensor', async () => {
    const scan = await scanOnnxModel(write('ext.onnx', modelWithExternalWeight('../../etc/passwd')));
    expect(scan).toEqual({ parameterCount: 15, externalDataLocations: ['../../etc/passwd'], largestTensor: { name: 'w', elements: 15, bytes: 60 } });
  });

  it('skips inline weights by length (a 4 MB initializer)', async () => {
    await expect(scanOnnxModel(write('big.onnx', modelWithExternalWeight(null, [1024, 1024])))).resolves.toEqual({
      parameterCount: 1024 * 1024,
      externalDataLocations: [],
      largestTensor: { name: 'w', elements: 1024 * 1024, bytes: 4 * 1024 * 1024 },
    });
  });

  it('throws on a file that is not protobuf', async () => {
    await expect(scanOnnxModel(write('junk.onnx', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])))).rejects.toBeInstanceOf(ModelScanError);
  });

  it('sizes a sparse initializer by its dense dims, not the values it carries', async () => {
    const sparse = onnx.SparseTensorProto.create({
      dims: [65536, 65536],
      values: onnx.TensorProto.create({ name: 'sv', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1] }),
      indices: onnx.TensorProto.create({ name: 'si', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0] }),
    });
    const graph = onnx.GraphProto.create({ name: 'g', sparseInitializer: [sparse] });
    const scan = await scanOnnxModel(write('sparse.onnx', Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, graph })).finish())));
    expect(scan.largestTensor).toEqual({ name: 'sv', elements: 65536 * 65536, bytes: 4 * 65536 * 65536 });
  });

  it.each([
    ['an unknown field', Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12, 0x01, 0x61, 0x18, 0x01]), /unknown field 3 of wire type 0/],
    ['an unknown key', Buffer.from([0x0a, 0x08, ...Buffer.from('basepath'), 0x12, 0x01, 0x61]), /unknown key 'basepath'/],
    ['a truncated value', Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12, 0x09, 0x61]), /truncated/],
  ])('fails closed on an external_data entry with %s', async (_what, entry, reason) => {
    // TensorProto: name 'w' (field 8) then external_data (field 13) holding the raw entry.
    const tensor = Buffer.concat([Buffer.from([0x42, 0x01, 0x77, 0x6a, entry.length]), entry]);
    const graph = Buffer.concat([Buffer.from([0x2a, tensor.length]), tensor]);
    const model = Buffer.concat([Buffer.from([0x3a, graph.length]), graph]);
    const attempt = scanOnnxModel(write('entry.onnx', model));
    await expect(attempt).rejects.toBeInstanceOf(ModelScanError);
    await expect(attempt).rejects.toThrow(reason);
  });

  it('never throws anything but a ModelScanError on arbitrary bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const path = write('fuzz.onnx', Buffer.from(bytes));
        await scanOnnxModel(path).then(
          (scan) => expect(Array.isArray(scan.externalDataLocations)).toBe(true),
          (error: unknown) => expect(error).toBeInstanceOf(ModelScanError),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('externalDataEscapes', () => {
  it.each(['../w.bin', '../../etc/passwd', '/etc/passwd', 'a/../../w.bin', 'C:\\w.bin', '..\\w.bin', '', 'w\0.bin'])('refuses %j', (location) => {
    expect(externalDataEscapes(location)).toBe(true);
  });

  it.each(['w.bin', 'weights/w.bin', './w.bin', 'a/../w.bin'])('accepts %j', (location) => {
    expect(externalDataEscapes(location)).toBe(false);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { externalDataEscapes, scanOnnxModel } from '@falaj/onnx';

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
    await expect(scanOnnxModel(TINY_MLP)).resolves.toEqual({ parameterCount: 67, externalDataLocations: [] });
  });

  it('finds the external-data location of a tensor', async () => {
    const scan = await scanOnnxModel(write('ext.onnx', modelWithExternalWeight('../../etc/passwd')));
    expect(scan).toEqual({ parameterCount: 15, externalDataLocations: ['../../etc/passwd'] });
  });

  it('skips inline weights by length (a 4 MB initializer)', async () => {
    await expect(scanOnnxModel(write('big.onnx', modelWithExternalWeight(null, [1024, 1024])))).resolves.toEqual({
      parameterCount: 1024 * 1024,
      externalDataLocations: [],
    });
  });

  it('throws on a file that is not protobuf', async () => {
    await expect(scanOnnxModel(write('junk.onnx', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])))).rejects.toThrow();
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

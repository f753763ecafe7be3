import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { readOnnxModelHeader } from './onnx-model-header';

describe(readOnnxModelHeader.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'falaj-onnx-header-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const model = (properties: onnx.IModelProto): Uint8Array => onnx.ModelProto.encode(onnx.ModelProto.create(properties)).finish();
  // A graph big enough that its length takes a multi-byte varint, so skipping it is exercised.
  const graph = onnx.GraphProto.create({ name: 'g', docString: 'x'.repeat(70_000) });

  it('reads producer_name and the default-domain opset past a large graph', async () => {
    const path = write(
      'a.onnx',
      model({
        irVersion: 8,
        producerName: 'falaj-test',
        graph,
        opsetImport: [
          { domain: 'com.microsoft', version: 1 },
          { domain: '', version: 17 },
        ],
      }),
    );
    await expect(readOnnxModelHeader(path)).resolves.toEqual({ producer: 'falaj-test', opset: 17 });
  });

  it("accepts 'ai.onnx' as the default domain", async () => {
    const path = write('b.onnx', model({ graph, opsetImport: [{ domain: 'ai.onnx', version: 13 }] }));
    await expect(readOnnxModelHeader(path)).resolves.toEqual({ opset: 13 });
  });

  it('leaves fields undefined when the file is not a model', async () => {
    const path = write('c.onnx', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x54, 0x68]));
    await expect(readOnnxModelHeader(path)).resolves.toEqual({});
  });

  it('rejects when the file does not exist', async () => {
    await expect(readOnnxModelHeader(join(dir, 'missing.onnx'))).rejects.toThrow(/ENOENT/);
  });
});

import { Readable } from 'node:stream';
import { BatchInputError, parseBatchInput, type ParsedRow } from './batch-input.parser';

const signature = {
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }],
};
const limits = { maxRows: 100, maxLineBytes: 1000 };

async function parse(text: string, l = limits): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const row of parseBatchInput(Readable.from([text]), signature, l)) rows.push(row);
  return rows;
}

describe('parseBatchInput', () => {
  it('reads OIP requests and bare rows, one per line, skipping blank lines', async () => {
    const request = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
    const rows = await parse(`${JSON.stringify(request)}\n\n[5,6,7,8]\r\n`);
    expect(rows).toEqual([
      { index: 0, ok: true, request },
      { index: 1, ok: true, request: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5, 6, 7, 8] }] } },
    ]);
  });

  it('reports each bad row by index with the reason, and keeps going', async () => {
    const rows = await parse('[1,2,3,4]\n{oops\n[1,2,3]\n{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}\n[9,9,9,9]');
    expect(rows.map((r) => r.ok)).toEqual([true, false, false, false, true]);
    expect(rows[1]).toEqual({ index: 1, ok: false, error: 'not JSON' });
    expect(rows[2]).toMatchObject({ index: 2, error: expect.stringContaining("shape [1,3] does not match the model's [-1,4]") });
    expect(rows[3]).toMatchObject({ index: 3, error: expect.stringContaining("'x'") });
  });

  it('refuses an empty job and one over the row limit', async () => {
    await expect(parse('\n\n')).rejects.toBeInstanceOf(BatchInputError);
    await expect(parse('[1,2,3,4]\n'.repeat(3), { ...limits, maxRows: 2 })).rejects.toThrow('at most 2 rows');
  });

  it('reports an over-long line as a bad row rather than buffering it', async () => {
    const rows = await parse(`[${'1,'.repeat(600)}1]`);
    expect(rows[0]).toEqual({ index: 0, ok: false, error: 'row longer than 1000 bytes' });
  });
});

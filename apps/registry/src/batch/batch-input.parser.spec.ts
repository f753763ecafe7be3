import { Readable } from 'node:stream';
import fc from 'fast-check';
import { BatchInputError, parseBatchInput, type ParsedRow } from './batch-input.parser';
import { LineLimitError } from './batch-line.reader';

const signature = {
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }],
};
const limits = { maxRows: 100, maxRowBytes: 1000, maxBytes: 1 << 20, tensorLimits: { maxElements: 8, maxBytesElementBytes: 16 } };

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
    expect(rows[1]).toEqual({ index: 1, ok: false, status: 400, error: 'not JSON' });
    expect(rows[2]).toMatchObject({ index: 2, error: expect.stringContaining("shape [1,3] does not match the model's [-1,4]") });
    expect(rows[3]).toMatchObject({ index: 3, error: expect.stringContaining("'x'") });
  });

  it('fails a row over the tensor limits alone, 413 naming the limit', async () => {
    const rows = await parse('[1,2,3,4]\n{"inputs":[{"name":"input","shape":[3,4],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9,10,11,12]}]}\n');
    expect(rows[0].ok).toBe(true);
    expect(rows[1]).toEqual({
      index: 1,
      ok: false,
      status: 413,
      error: "input 'input': shape [3,4] has 12 elements, over the limit of 8 per tensor (FALAJ_MAX_TENSOR_ELEMENTS)",
    });
  });

  it('refuses an empty job and one over the row limit', async () => {
    await expect(parse('\n\n')).rejects.toBeInstanceOf(BatchInputError);
    await expect(parse('[1,2,3,4]\n'.repeat(3), { ...limits, maxRows: 2 })).rejects.toMatchObject({ status: 413, message: 'a job holds at most 2 rows (FALAJ_BATCH_MAX_ROWS)' });
  });

  it('refuses a row over the row limit as it crosses it, rather than buffering it', async () => {
    await expect(parse(`[1,2,3,4]\n[${'1,'.repeat(600)}1]`)).rejects.toMatchObject({ limit: 'line', maxBytes: 1000, line: 2 });
  });

  it('refuses a body over the byte limit', async () => {
    await expect(parse('[1,2,3,4]\n'.repeat(20), { ...limits, maxBytes: 150 })).rejects.toBeInstanceOf(LineLimitError);
  });

  it('turns any line into a row or a reason, never a throw (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 })), { minLength: 1, maxLength: 20 }), async (lines) => {
        const text = lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n');
        const attempt = parse(text);
        if (text.split('\n').every((l) => l.trim() === '')) return void (await expect(attempt).rejects.toBeInstanceOf(BatchInputError));
        const rows = await attempt;
        rows.forEach((row, i) => {
          expect(row.index).toBe(i);
          if (!row.ok) expect(typeof row.error).toBe('string');
        });
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { LineLimitError, readLines, type LineLimits } from './batch-line.reader';

async function collect(chunks: Iterable<Buffer | string> | AsyncIterable<Buffer | string>, limits: LineLimits): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(chunks as AsyncIterable<Buffer | string>, limits)) lines.push(line);
  return lines;
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const at = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

/** What the reader must yield: the lines of the text, `\r\n` as `\n`, no trailing empty line. */
function expectedLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const roomy: LineLimits = { maxLineBytes: 1 << 20, maxBytes: 1 << 24 };
const lineText = fc.string({ unit: fc.constantFrom('a', 'é', '🙂', '\r', ' ', '{', '"'), maxLength: 40 });

describe('readLines', () => {
  it('splits on \\n and \\r\\n, keeps blank lines, and drops no last line without a newline', async () => {
    await expect(collect(['a\nb\r\n\nc'], roomy)).resolves.toEqual(['a', 'b', '', 'c']);
  });

  it('yields the same lines however the bytes are cut, multi-byte characters included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineText, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), async (lines, crlf, offsets) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        const got = await collect(cut(Buffer.from(text), offsets), roomy);
        expect(got).toEqual(expectedLines(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a line over the limit, counting bytes not characters (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineText, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 60 }), fc.array(fc.nat(), { maxLength: 10 }), async (lines, max, offsets) => {
        const text = lines.join('\n');
        const limits = { maxLineBytes: max, maxBytes: 1 << 20 };
        const over = expectedLines(text).findIndex((l) => Buffer.byteLength(l) > max);
        const attempt = collect(cut(Buffer.from(text), offsets), limits);
        if (over === -1) await expect(attempt).resolves.toEqual(expectedLines(text));
        else await expect(attempt).rejects.toMatchObject({ limit: 'line', maxBytes: max, line: over + 1 });
      }),
      { numRuns: 300 },
    );
  });

  it('stops a line without a newline the moment it crosses the limit, without reading further', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    // 600 MB without a newline, never allocated: one chunk reused.
    async function* endless() {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield chunk;
      }
    }
    const attempt = collect(endless(), { maxLineBytes: 1024 * 1024, maxBytes: 1 << 30 });
    await expect(attempt).rejects.toBeInstanceOf(LineLimitError);
    await expect(attempt).rejects.toThrow('line 1 is longer than 1048576 bytes');
    expect(pulled).toBe(17); // 16 chunks make exactly 1 MiB; the 17th crosses it
  });

  it('refuses a body over its byte limit as soon as the chunk that crosses it arrives', async () => {
    let pulled = 0;
    async function* rows() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield '[1,2,3,4]\n';
      }
    }
    await expect(collect(rows(), { maxLineBytes: 100, maxBytes: 95 })).rejects.toMatchObject({ limit: 'bytes', maxBytes: 95 });
    expect(pulled).toBe(10);
  });

  it('accepts a line of exactly the limit, also with \\r\\n', async () => {
    await expect(collect(['abcd\r\nefgh\n'], { maxLineBytes: 4, maxBytes: 100 })).resolves.toEqual(['abcd', 'efgh']);
    await expect(collect(['abcde\r\n'], { maxLineBytes: 4, maxBytes: 100 })).rejects.toBeInstanceOf(LineLimitError);
  });
});

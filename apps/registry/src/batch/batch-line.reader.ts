/** The sizes one job's input may reach, in bytes of the body as sent (not string length). */
export interface LineLimits {
  /** Bytes of one line, without its `\n` (and a `\r` before it). */
  maxLineBytes: number;
  /** Bytes of the whole body. */
  maxBytes: number;
}

/** Which limit a body crossed, and where: thrown the moment it is crossed, before anything more is read. */
export class LineLimitError extends Error {
  constructor(
    readonly limit: 'line' | 'bytes',
    readonly maxBytes: number,
    /** 1-based line of the body (for `line`). */
    readonly line: number,
  ) {
    super(limit === 'line' ? `line ${line} is longer than ${maxBytes} bytes` : `the body is longer than ${maxBytes} bytes`);
  }
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines (`\n`, or `\r\n`), counting bytes as they arrive: a line never
 * grows past `maxLineBytes` in memory, nor the body past `maxBytes`, whatever the sender does.
 * readline would buffer a line whole before anyone could look at its length (a 600 MB body
 * without a newline ends in `RangeError: Invalid string length` and takes the process down).
 * What is held at any moment is at most one line plus the chunk being read.
 */
export async function* readLines(source: AsyncIterable<Buffer | string>, limits: LineLimits): AsyncGenerator<string> {
  let pieces: Buffer[] = [];
  let pending = 0;
  let total = 0;
  let line = 1;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    total += chunk.length;
    if (total > limits.maxBytes) throw new LineLimitError('bytes', limits.maxBytes, line);
    for (let start = 0; start < chunk.length;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      pending += end - start;
      // One byte of slack for the `\r` of a `\r\n`; checked exactly once the line ends.
      if (pending > limits.maxLineBytes + 1) throw new LineLimitError('line', limits.maxLineBytes, line);
      if (end > start) pieces.push(chunk.subarray(start, end));
      if (newline === -1) break;
      yield finish(pieces, pending, limits, line);
      pieces = [];
      pending = 0;
      line++;
      start = newline + 1;
    }
  }
  if (pending > 0) yield finish(pieces, pending, limits, line);
}

function finish(pieces: Buffer[], length: number, limits: LineLimits, line: number): string {
  const bytes = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length);
  const content = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.subarray(0, bytes.length - 1) : bytes;
  if (content.length > limits.maxLineBytes) throw new LineLimitError('line', limits.maxLineBytes, line);
  return content.toString('utf8');
}

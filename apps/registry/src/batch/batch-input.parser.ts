import type { ModelSignature } from '@falaj/contracts';
import { countLimitRefusal } from '@falaj/http';
import { OipError, decodeJsonInferRequest, type TensorLimits } from '@falaj/oip';
import { readLines } from './batch-line.reader';

export type ParsedRow = { index: number; ok: true; request: unknown } | { index: number; ok: false; status: number; error: string };

export interface ParseLimits {
  maxRows: number;
  /** Bytes of one row (a line of the body). */
  maxRowBytes: number;
  /** Bytes of the whole body. */
  maxBytes: number;
  /** What one row's tensors may hold, as on every other entry point. */
  tensorLimits: TensorLimits;
}

/** A job the parser refuses whole: 400 (no rows) or 413 (more rows than a job may hold). */
export class BatchInputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/**
 * Reads an NDJSON body line by line, never whole, through the byte-counting line reader: a row
 * over `maxRowBytes` or a body over `maxBytes` throws its LineLimitError the moment it is
 * crossed. Each line is an OIP inference request
 * (`{"inputs":[...]}`), or — for a model with one input — a row of values (a JSON array) that
 * becomes that input with a batch dimension of 1. Each row is checked against the model's
 * signature here, so a bad row is reported by index at once and never reaches a worker.
 */
export async function* parseBatchInput(source: AsyncIterable<Buffer | string>, signature: ModelSignature, limits: ParseLimits): AsyncGenerator<ParsedRow> {
  let index = 0;
  for await (const line of readLines(source, { maxLineBytes: limits.maxRowBytes, maxBytes: limits.maxBytes })) {
    if (line.trim() === '') continue;
    if (index >= limits.maxRows) throw new BatchInputError(`a job holds at most ${limits.maxRows} rows (FALAJ_BATCH_MAX_ROWS)`, 413);
    yield { index, ...parseRow(line, signature, limits.tensorLimits) };
    index++;
  }
  if (index === 0) throw new BatchInputError('the job has no rows');
}

function parseRow(line: string, signature: ModelSignature, tensorLimits: TensorLimits): { ok: true; request: unknown } | { ok: false; status: number; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, status: 400, error: 'not JSON' };
  }
  const request = Array.isArray(value) ? rowRequest(value, signature) : value;
  if (typeof request === 'string') return { ok: false, status: 400, error: request };
  try {
    decodeJsonInferRequest(request, signature, undefined, tensorLimits);
  } catch (error) {
    if (error instanceof OipError) {
      // A row over a tensor limit fails alone, and counts as that limit's refusal.
      countLimitRefusal(error);
      return { ok: false, status: error.status, error: error.message };
    }
    throw error;
  }
  return { ok: true, request };
}

/** A bare row for a one-input model: its values, shaped [1, ...the row's own nesting]. */
function rowRequest(row: unknown[], signature: ModelSignature): object | string {
  if (signature.inputs.length !== 1) return `a bare row needs a one-input model; this one takes ${signature.inputs.length}: send OIP requests`;
  const input = signature.inputs[0];
  const shape = [1];
  for (let level: unknown = row; Array.isArray(level); level = level[0]) shape.push(level.length);
  return { inputs: [{ name: input.name, datatype: input.datatype, shape, data: row }] };
}

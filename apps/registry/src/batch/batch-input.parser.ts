import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ModelSignature } from '@falaj/contracts';
import { OipError, decodeJsonInferRequest } from '@falaj/oip';

export type ParsedRow = { index: number; ok: true; request: unknown } | { index: number; ok: false; error: string };

export interface ParseLimits {
  maxRows: number;
  maxLineBytes: number;
}

export class BatchInputError extends Error {
  readonly status = 400;
}

/**
 * Reads an NDJSON body line by line, never whole: each line is an OIP inference request
 * (`{"inputs":[...]}`), or — for a model with one input — a row of values (a JSON array) that
 * becomes that input with a batch dimension of 1. Each row is checked against the model's
 * signature here, so a bad row is reported by index at once and never reaches a worker.
 */
export async function* parseBatchInput(source: Readable, signature: ModelSignature, limits: ParseLimits): AsyncGenerator<ParsedRow> {
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let index = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (index >= limits.maxRows) throw new BatchInputError(`a job holds at most ${limits.maxRows} rows`);
    if (Buffer.byteLength(line) > limits.maxLineBytes) {
      yield { index: index++, ok: false, error: `row longer than ${limits.maxLineBytes} bytes` };
      continue;
    }
    yield { index, ...parseRow(line, signature) };
    index++;
  }
  if (index === 0) throw new BatchInputError('the job has no rows');
}

function parseRow(line: string, signature: ModelSignature): { ok: true; request: unknown } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const request = Array.isArray(value) ? rowRequest(value, signature) : value;
  if (typeof request === 'string') return { ok: false, error: request };
  try {
    decodeJsonInferRequest(request, signature);
  } catch (error) {
    if (error instanceof OipError) return { ok: false, error: error.message };
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

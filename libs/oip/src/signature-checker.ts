import type { ModelSignature, OipDatatype, TensorPayload, TensorSpec } from '@falaj/contracts';
import { OipError } from './oip.error';
import { DEFAULT_TENSOR_LIMITS, checkBytesElements, checkTensorElements, type TensorLimits } from './tensor-limits';

/** An input as the request states it, once checked: the datatype and the request's own shape. */
export interface CheckedInput {
  datatype: OipDatatype;
  shape: number[];
}

/**
 * The checks every protocol (REST JSON, REST binary, gRPC, KServe v1) applies to a request
 * against the model's signature, so they refuse the same things with the same words: unknown
 * or repeated inputs, wrong datatype, a shape the model does not take, missing inputs, and
 * unknown or repeated requested outputs; and the platform's tensor limits (elements per tensor,
 * bytes per BYTES element), so every entry point enforces them in this one place.
 */
export class SignatureChecker {
  private readonly inputSpecs: ReadonlyMap<string, TensorSpec>;
  private readonly outputNames: ReadonlySet<string>;
  private readonly seenInputs = new Set<string>();
  private readonly seenOutputs = new Set<string>();

  constructor(
    private readonly signature: ModelSignature,
    private readonly limits: TensorLimits = DEFAULT_TENSOR_LIMITS,
  ) {
    this.inputSpecs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
    this.outputNames = new Set(signature.outputs.map((spec) => spec.name));
  }

  checkInput(name: string, datatype: unknown, shape: unknown): CheckedInput {
    if (this.seenInputs.has(name)) throw bad(`input '${name}' appears more than once`);
    const spec = this.inputSpecs.get(name);
    if (spec === undefined) {
      throw bad(`input '${name}' is not an input of the model; it takes ${quoteAll(this.inputSpecs.keys())}`);
    }
    if (typeof datatype !== 'string') throw bad(`input '${name}': 'datatype' must be a string`);
    if (datatype !== spec.datatype) throw bad(`input '${name}': expected datatype ${spec.datatype}, got ${datatype}`);
    if (!isShape(shape)) throw bad(`input '${name}': 'shape' must be an array of non-negative integers`);
    if (!fitsSpec(shape, spec.shape)) {
      throw bad(`input '${name}': shape [${shape.join(',')}] does not match the model's [${spec.shape.join(',')}]`);
    }
    checkTensorElements(name, shape, this.limits);
    this.seenInputs.add(name);
    return { datatype: spec.datatype, shape };
  }

  /** The input's tensor once its data is decoded (BYTES elements framed): within the BYTES element limit. */
  tensor(name: string, checked: CheckedInput, data: Buffer): TensorPayload {
    checkBytesElements(name, checked.datatype, data, this.limits);
    return { name, datatype: checked.datatype, shape: [...checked.shape], data };
  }

  checkAllInputsGiven(): void {
    for (const spec of this.signature.inputs) {
      if (!this.seenInputs.has(spec.name)) throw bad(`input '${spec.name}' is required by the model but missing from the request`);
    }
  }

  /** Checks one requested output name and returns it. */
  requestOutput(name: string): string {
    if (!this.outputNames.has(name)) {
      throw bad(`requested output '${name}' is not an output of the model; it has ${quoteAll(this.outputNames)}`);
    }
    if (this.seenOutputs.has(name)) throw bad(`requested output '${name}' appears more than once`);
    this.seenOutputs.add(name);
    return name;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0);
}

/** Same rank, and every fixed (non -1) dimension of the model equal. */
function fitsSpec(shape: readonly number[], specShape: readonly number[]): boolean {
  return shape.length === specShape.length && shape.every((dim, i) => specShape[i] === -1 || specShape[i] === dim);
}

function quoteAll(names: Iterable<string>): string {
  return [...names].map((n) => `'${n}'`).join(', ');
}

function bad(message: string): OipError {
  return new OipError(400, message);
}

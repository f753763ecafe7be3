import type { ModelSignature, TensorSpec } from '@falaj/contracts';
import type { DeclaredSignature, DeclaredTensor, DeclaredTensors } from './mlmodel.parser';

/**
 * Where an MLmodel's declared signature and the signature onnxruntime read from the ONNX file
 * disagree; empty when they agree. The file's is the one served (workers check requests against
 * it), so a declaration that contradicts it is refused rather than kept as a misleading record.
 *
 * Tensor specs: as many as the model has, matched by name when every spec is named, else by
 * position; same datatype, same rank, each dimension equal or variable (-1) on either side.
 * Column specs (a DataFrame): either one model input per column, by name, of the column's type;
 * or, as MLflow's ONNX flavor feeds a DataFrame to a one-input model, a single rank-2 input of
 * the columns' one type whose last dimension is the column count (or variable).
 */
export function signatureMismatches(declared: DeclaredSignature, actual: ModelSignature): string[] {
  return [...sideMismatches('input', declared.inputs, actual.inputs), ...sideMismatches('output', declared.outputs, actual.outputs)];
}

function sideMismatches(side: 'input' | 'output', declared: DeclaredTensors | null, actual: TensorSpec[]): string[] {
  if (declared === null) return [];
  return declared.kind === 'tensor' ? tensorMismatches(side, declared.specs, actual) : columnMismatches(side, declared.specs, actual);
}

function tensorMismatches(side: string, declared: DeclaredTensor[], actual: TensorSpec[]): string[] {
  if (declared.length !== actual.length) return [`${declared.length} ${side}(s) declared, the model has ${actual.length} (${names(actual)})`];
  const byName = declared.every((d) => d.name !== undefined);
  const problems: string[] = [];
  declared.forEach((spec, i) => {
    const found = byName ? actual.find((a) => a.name === spec.name) : actual[i];
    if (!found) {
      problems.push(`${side} '${spec.name}' is not one of the model's (${names(actual)})`);
      return;
    }
    const label = `${side} '${found.name}'`;
    if (found.datatype !== spec.datatype) problems.push(`${label} is ${found.datatype}, declared ${spec.datatype}`);
    else if (!shapesAgree(spec.shape, found.shape)) problems.push(`${label} has shape ${JSON.stringify(found.shape)}, declared ${JSON.stringify(spec.shape)}`);
  });
  return problems;
}

function columnMismatches(side: string, columns: DeclaredTensor[], actual: TensorSpec[]): string[] {
  const named = columns.every((c) => c.name !== undefined && actual.some((a) => a.name === c.name));
  if (named && columns.length === actual.length) {
    return columns.flatMap((column) => {
      const found = actual.find((a) => a.name === column.name)!;
      if (found.datatype !== column.datatype) return [`${side} '${found.name}' is ${found.datatype}, its column is declared ${column.datatype}`];
      const rowwise = found.shape.length === 1 || (found.shape.length === 2 && (found.shape[1] === 1 || found.shape[1] === -1));
      return rowwise ? [] : [`${side} '${found.name}' has shape ${JSON.stringify(found.shape)}, not one value per row as its column`];
    });
  }
  const types = new Set(columns.map((c) => c.datatype));
  const [only] = actual;
  if (actual.length === 1 && only.shape.length === 2 && types.size === 1 && only.datatype === columns[0].datatype && (only.shape[1] === -1 || only.shape[1] === columns.length)) return [];
  return [
    `${columns.length} column(s) of ${[...types].join('/')} declared as ${side}s, which fit neither one ${side} per column nor the model's ${side}s (${actual
      .map((a) => `${a.name} ${a.datatype} ${JSON.stringify(a.shape)}`)
      .join(', ')})`,
  ];
}

function shapesAgree(declared: number[], actual: number[]): boolean {
  return declared.length === actual.length && declared.every((d, i) => d === -1 || actual[i] === -1 || d === actual[i]);
}

function names(specs: TensorSpec[]): string {
  return specs.map((s) => s.name).join(', ') || 'none';
}

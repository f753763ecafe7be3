import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import type { ModelSignature, TensorPayload } from '@falaj/contracts';
import { fromOrtTensor, readModelSignature, toOrtTensor } from '@falaj/onnx';
import { compareTensors } from './tensor-compare';
import { readTensorProto } from './tensor-proto';

/** Where Debian's `libonnx-testdata` puts ONNX's node test cases. */
export const ONNX_NODE_TEST_DIR = '/usr/share/libonnx-testdata/data/node';

export interface TensorDataSet {
  inputs: TensorPayload[];
  outputs: TensorPayload[];
}

/** A node test case that onnxruntime-node passes itself, with tensors OIP carries. */
export interface EligibleCase {
  name: string;
  modelPath: string;
  signature: ModelSignature;
  dataSets: TensorDataSet[];
}

export type CaseVerdict = { eligible: true; testCase: EligibleCase } | { eligible: false; name: string; reason: string };

export function listNodeCases(root = ONNX_NODE_TEST_DIR): string[] {
  if (!existsSync(root)) throw new Error(`no ONNX backend test data at ${root}: run 'bash scripts/infra.sh up' (it installs libonnx-testdata)`);
  return readdirSync(root)
    .filter((name) => name.startsWith('test_') && existsSync(join(root, name, 'model.onnx')))
    .sort();
}

/**
 * Loads a case's model in onnxruntime-node, reads its OIP signature and its data sets, and runs
 * them directly, comparing with ONNX's tolerances. Only a case that passes all of that is one
 * the gateway must pass too; the verdict says why any other is out.
 */
export async function examineCase(name: string, root = ONNX_NODE_TEST_DIR): Promise<CaseVerdict> {
  const dir = join(root, name);
  const modelPath = join(dir, 'model.onnx');
  const out = (reason: string): CaseVerdict => ({ eligible: false, name, reason });
  let session: InferenceSession;
  try {
    // Fatal only: the old-opset warnings of many cases would drown the report.
    session = await InferenceSession.create(modelPath, { logSeverityLevel: 4 });
  } catch (error) {
    return out(`onnxruntime cannot load the model: ${firstLine(error)}`);
  }
  try {
    let signature: ModelSignature;
    try {
      signature = readModelSignature(session);
    } catch (error) {
      return out(`OIP cannot carry the model's signature: ${firstLine(error)}`);
    }
    const dataSets: TensorDataSet[] = [];
    for (const set of readdirSync(dir)
      .filter((d) => d.startsWith('test_data_set_'))
      .sort()) {
      const files = (prefix: string) =>
        readdirSync(join(dir, set))
          .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
          .sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')));
      let inputs: TensorPayload[];
      let outputs: TensorPayload[];
      try {
        inputs = files('input_').map((f, i) => named(readTensorProto(readFileSync(join(dir, set, f))), session.inputNames[i]));
        outputs = files('output_').map((f, i) => named(readTensorProto(readFileSync(join(dir, set, f))), session.outputNames[i]));
      } catch (error) {
        return out(`OIP cannot carry the test data: ${firstLine(error)}`);
      }
      if (inputs.length !== session.inputNames.length) return out(`the data gives ${inputs.length} of the model's ${session.inputNames.length} inputs`);
      let results: InferenceSession.ReturnType;
      try {
        results = await session.run(Object.fromEntries(inputs.map((t) => [t.name, toOrtTensor(t)])));
      } catch (error) {
        return out(`onnxruntime fails to run it: ${firstLine(error)}`);
      }
      for (const expected of outputs) {
        const produced = results[expected.name];
        const problem = produced ? compareTensors(expected, fromOrtTensor(expected.name, produced)) : 'missing';
        if (problem) return out(`onnxruntime itself does not pass: output '${expected.name}' ${problem}`);
      }
      dataSets.push({ inputs, outputs });
    }
    if (dataSets.length === 0) return out('no test data sets');
    return { eligible: true, testCase: { name, modelPath, signature, dataSets } };
  } finally {
    await session.release().catch(() => undefined);
  }
}

function named(tensor: TensorPayload, fallback: string | undefined): TensorPayload {
  return { ...tensor, name: tensor.name || fallback || '' };
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split('\n')[0]
    .slice(0, 200);
}

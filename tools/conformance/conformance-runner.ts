import { readFileSync } from 'node:fs';
import type { TensorPayload } from '@falaj/contracts';
import { encodeJsonTensorData } from '@falaj/oip';
import { decodeBinaryInferResponse, encodeBinaryInferRequest, eventually } from '@falaj/testing';
import type { FalajSuite, OipGrpcClient } from '@falaj/testing';
import type { EligibleCase } from './onnx-test-cases';
import { compareTensors, elementsOf } from './tensor-compare';

export const CONFORMANCE_PATHS = ['rest-json', 'rest-binary', 'grpc'] as const;
export type ConformancePath = (typeof CONFORMANCE_PATHS)[number];

export type CaseOutcome = { status: 'pass' } | { status: 'fail'; detail: string } | { status: 'not-carried'; detail: string };

/**
 * Sends ONNX backend test cases through the gateway on each path and compares the answers with
 * the expected outputs, as ONNX's own runner does. Models are registered through the admin API
 * like any tenant's, promoted to production, and used once every worker reports them ready.
 */
export class ConformanceRunner {
  constructor(
    private readonly suite: FalajSuite,
    private readonly token: string,
    private readonly grpc: OipGrpcClient,
  ) {}

  /** Registers and promotes each case's model; returns the cases whose registration failed, with why. */
  async register(cases: readonly EligibleCase[], concurrency = 6): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    await mapLimit(cases, concurrency, async (c) => {
      const steps: Array<[string, () => ReturnType<FalajSuite['call']>, number]> = [
        ['create', () => this.suite.call('POST', '/admin/models', this.token, { name: c.name }), 201],
        ['upload', () => this.suite.call('POST', `/admin/models/${c.name}/versions`, this.token, readFileSync(c.modelPath), { 'content-type': 'application/octet-stream' }), 201],
        ['promote', () => this.suite.call('POST', `/admin/models/${c.name}/versions/1/stage`, this.token, { stage: 'production' }), 200],
      ];
      for (const [step, call, expected] of steps) {
        const answer = await call();
        if (answer.status !== expected) {
          failed.set(c.name, `${step}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
          return;
        }
      }
    });
    return failed;
  }

  /** Waits until the gateway reports every model ready; returns those that never got there. */
  async waitReady(cases: readonly EligibleCase[], timeoutMs: number): Promise<string[]> {
    const pending = new Set(cases.map((c) => c.name));
    await eventually(
      `${pending.size} models ready`,
      async () => {
        await mapLimit([...pending], 16, async (name) => {
          if ((await this.suite.call('GET', `/v2/models/${name}/ready`, this.token)).status === 200) pending.delete(name);
        });
        return pending.size === 0 ? true : undefined;
      },
      timeoutMs,
      500,
    ).catch(() => undefined);
    return [...pending];
  }

  async run(testCase: EligibleCase, path: ConformancePath): Promise<CaseOutcome> {
    for (const [index, set] of testCase.dataSets.entries()) {
      let outputs: TensorPayload[];
      try {
        if (path === 'rest-json') {
          const problem = jsonCannotCarry(set.inputs, set.outputs);
          if (problem) return { status: 'not-carried', detail: problem };
          outputs = await this.viaJson(testCase.name, set.inputs);
        } else if (path === 'rest-binary') {
          outputs = await this.viaBinary(testCase.name, set.inputs);
        } else {
          outputs = (await this.grpc.infer({ model: testCase.name, inputs: set.inputs })).outputs;
        }
      } catch (error) {
        return { status: 'fail', detail: `data set ${index}: ${(error as Error).message}` };
      }
      for (const expected of set.outputs) {
        const actual = outputs.find((o) => o.name === expected.name);
        const problem = actual ? compareTensors(expected, actual) : 'missing from the answer';
        if (problem) return { status: 'fail', detail: `data set ${index}: output '${expected.name}' ${problem}` };
      }
    }
    return { status: 'pass' };
  }

  private async viaJson(model: string, inputs: TensorPayload[]): Promise<TensorPayload[]> {
    const body = { inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: toJsonData(t) })) };
    const answer = await this.suite.call('POST', `/v2/models/${model}/infer`, this.token, body);
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
    return (answer.json.outputs as Array<Omit<TensorPayload, 'data'> & { data: unknown[] }>).map((o) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape,
      data: encodeJsonTensorData(o.name, o.datatype, o.shape, o.data),
    }));
  }

  private async viaBinary(model: string, inputs: TensorPayload[]): Promise<TensorPayload[]> {
    const { body, headers } = encodeBinaryInferRequest({ inputs, binaryDataOutput: true });
    const response = await fetch(`${this.suite.gatewayUrl}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, ...headers },
      body,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`HTTP ${response.status} ${bytes.toString().slice(0, 300)}`);
    return decodeBinaryInferResponse(bytes, response.headers.get('inference-header-content-length')).outputs;
  }
}

/** A tensor's elements as OIP JSON `data`: 64-bit integers past 2^53 as decimal strings, BOOL as booleans. */
export function toJsonData(tensor: TensorPayload): unknown[] {
  const elements = elementsOf(tensor) as unknown[];
  if (tensor.datatype === 'BOOL') return elements.map((v) => v !== 0);
  if (tensor.datatype === 'INT64' || tensor.datatype === 'UINT64') {
    return elements.map((v) => (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)));
  }
  return elements;
}

/**
 * Why OIP's JSON cannot carry these tensors exactly, or null: JSON has no NaN or infinities,
 * its numbers lose 64-bit integers past 2^53 (on the way back: requests may send strings), and
 * its strings are UTF-8. Those cases go over the binary and gRPC paths only.
 */
export function jsonCannotCarry(inputs: readonly TensorPayload[], outputs: readonly TensorPayload[]): string | null {
  for (const [role, tensors] of [
    ['input', inputs],
    ['output', outputs],
  ] as const) {
    for (const t of tensors) {
      if (t.datatype === 'BYTES') {
        const strings = elementsOf(t) as string[];
        if (Buffer.concat(strings.map((s) => Buffer.from(s))).length !== t.data.length - 4 * strings.length) return `${role} '${t.name}' is not UTF-8`;
        continue;
      }
      const elements = elementsOf(t) as Array<number | bigint>;
      if (t.datatype.startsWith('FP') && elements.some((v) => !Number.isFinite(v))) return `${role} '${t.name}' holds NaN or infinity`;
      if (role === 'output' && typeof elements[0] === 'bigint' && elements.some((v) => !Number.isSafeInteger(Number(v)))) {
        return `output '${t.name}' holds 64-bit integers past 2^53`;
      }
    }
  }
  return null;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

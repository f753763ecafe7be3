import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type Redis from 'ioredis';
import { auditEventOf, encodeBytesElements, type PayloadLogging, type TensorPayload } from '@falaj/contracts';
import { PayloadKeys, RegionStoreGate, payloadRecordOf } from '@falaj/dispatch';

/**
 * `npm run bench:edge-kit`: what the one edge adds to every call, in process, per call:
 * the region-store gate, the audit event, and the payload record under each policy — for the
 * tiny MLP's tensors (4 FP32 in, 3 out) and for a BYTES tensor of 5 strings with personal data
 * (what `redact` scans). Microseconds per call, median of 7 runs of N calls each; no apps, no I/O.
 */
const N = Number(process.env.FALAJ_BENCH_CALLS ?? 20_000);
const f32 = (values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer);
type Tensors = { request: TensorPayload[]; response: TensorPayload[] };
const tiny: Tensors = {
  request: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: f32([1, 2, 3, 4]) }],
  response: [{ name: 'output', datatype: 'FP32', shape: [1, 3], data: f32([0.2, 0.3, 0.5]) }],
};
const strings = ['mail me at layla.h@example.ae', 'call +971 50 123 4567', 'id 784-1990-1234567-1', 'iban AE07 0331 2345 6789 0123 456', 'card 4111 1111 1111 1111'];
const text: Tensors = {
  request: [{ name: 'x', datatype: 'BYTES', shape: [5], data: encodeBytesElements(strings) }],
  response: [{ name: 'y', datatype: 'BYTES', shape: [5], data: encodeBytesElements(strings) }],
};

function microsPerCall(work: () => void): number {
  for (let i = 0; i < 2000; i++) work();
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) work();
    runs.push(Number(process.hrtime.bigint() - started) / 1000 / N);
  }
  return runs.sort((a, b) => a - b)[3];
}

function main(): void {
  const keys = new PayloadKeys(randomBytes(32).toString('base64url'));
  const gate = new RegionStoreGate({} as Redis, 'bench');
  (gate as unknown as { apply(f: Record<string, string>): void }).apply({ 'region:ae': '1', 'region:eu': '1' });
  const facts = {
    requestId: 'r',
    tenantId: 'acme',
    subject: 'svc',
    residency: 'ae',
    model: 'tiny-mlp',
    version: 1,
    pool: 'cpu.ae',
    protocol: 'rest' as const,
    status: 200,
    error: null,
    latencyMs: 1.2,
  };
  const rows: [string, number][] = [
    ['region-store gate (accepts + audit topic)', microsPerCall(() => void (gate.accepts('ae') && gate.auditTopicOf('ae')))],
    ['audit event (auditEventOf)', microsPerCall(() => void auditEventOf(facts))],
  ];
  for (const [label, tensors] of [
    ['tiny MLP', tiny],
    ['5 strings, personal data', text],
  ] as [string, Tensors][]) {
    for (const policy of ['none', 'hash', 'redact', 'full'] as PayloadLogging[]) {
      const eventId = randomUUID();
      rows.push([`payload record, ${policy}, ${label}`, microsPerCall(() => void payloadRecordOf(policy, 'acme', eventId, tensors.request, tensors.response, keys))]);
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)}`;
  process.stdout.write(`Edge kit cost per call — ${new Date().toISOString()} — ${machine}; median of 7 × ${N} calls\n\n| step | µs per call |\n|---|---:|\n`);
  for (const [label, micros] of rows) process.stdout.write(`| ${label} | ${micros.toFixed(2)} |\n`);
}

main();

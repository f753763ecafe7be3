import type { Consumer, Producer } from 'kafkajs';
import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import type { FalajSuite } from '../falaj-suite';
import { testKafka } from '../kafka-access';
import { OipGrpcClient } from '../oip-grpc-client';

/** Calls per second of each part of the soak's mix; a job of `jobRows` rows every `jobEverySeconds`. */
export interface MixRates {
  rest: number;
  restIdempotent: number;
  grpc: number;
  kafka: number;
  jobRows: number;
  jobEverySeconds: number;
}

export interface PartCount {
  sent: number;
  ok: number;
  failed: number;
  /** Status (or error) of failures, by count: what went wrong, not only how often. */
  why: Record<string, number>;
  latencies: number[];
}

const MAX_IN_FLIGHT = 64;
const input = (n: number) => ({ name: 'input', shape: [1, 4], datatype: 'FP32', data: [n % 7, (n % 5) - 2, 1.5, n % 2] });

/**
 * The soak's steady, open-loop mix on the real stack: REST JSON calls (some with a fresh
 * Idempotency-Key, so the idempotency store is exercised to its TTL plateau), gRPC calls, Kafka
 * streamed requests answered on the tenant's reply topic, and a batch job now and then. Paced
 * every 100 ms, at most MAX_IN_FLIGHT calls of a part in flight (a slow stack shows as fewer sent,
 * not as an ever-growing client queue).
 */
export class LoadMix {
  readonly counts: Record<'rest' | 'restIdempotent' | 'grpc' | 'kafka' | 'jobs', PartCount> = {
    rest: part(), restIdempotent: part(), grpc: part(), kafka: part(), jobs: part(),
  };
  private token = '';
  private grpc?: OipGrpcClient;
  private producer?: Producer;
  private consumer?: Consumer;
  private readonly kafkaSent = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = { rest: 0, restIdempotent: 0, grpc: 0, kafka: 0, jobs: 0 };
  private n = 0;

  constructor(
    private readonly suite: FalajSuite,
    private readonly tenant: string,
    private readonly model: string,
    private readonly mintToken: () => Promise<string>,
  ) {}

  async start(rates: MixRates): Promise<void> {
    await this.renewToken();
    const kafka = testKafka('soak');
    this.producer = kafka.producer();
    await this.producer.connect();
    this.consumer = kafka.consumer({ groupId: `${this.suite.prefix}-soak-replies`, readUncommitted: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: tenantReplyTopicNamespace(this.suite.prefix, this.tenant), fromBeginning: false });
    await this.consumer.run({ eachMessage: async ({ message }) => this.onReply(message.key?.toString() ?? '', message.headers?.status?.toString() ?? '') });
    this.every(100, () => this.tick(rates));
    this.every(rates.jobEverySeconds * 1000, () => void this.job(rates.jobRows));
    // Tokens live 15 minutes: renewed well before, as a long-running client would.
    this.every(5 * 60_000, () => void this.renewToken());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    // Let what is in flight land, so it is counted.
    const until = Date.now() + 15_000;
    while (Date.now() < until && Object.values(this.inFlight).some((n) => n > 0)) await new Promise((r) => setTimeout(r, 200));
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.grpc?.close();
    const unanswered = this.kafkaSent.size;
    if (unanswered > 0) this.counts.kafka.why['unanswered after the soak'] = unanswered;
    this.counts.kafka.failed += unanswered;
  }

  private every(ms: number, run: () => void): void {
    this.timers.push(setInterval(run, ms));
  }

  private async renewToken(): Promise<void> {
    this.token = await this.mintToken();
    const old = this.grpc;
    this.grpc = new OipGrpcClient(this.suite.grpcTarget, this.token);
    // Calls still in flight on the old channel finish first (closing it at once failed them).
    if (old) setTimeout(() => old.close(), 30_000).unref();
  }

  private tick(rates: MixRates): void {
    for (let i = 0; i < rates.rest / 10; i++) this.run('rest', () => this.restCall(false));
    for (let i = 0; i < rates.restIdempotent / 10; i++) this.run('restIdempotent', () => this.restCall(true));
    for (let i = 0; i < rates.grpc / 10; i++) this.run('grpc', () => this.grpcCall());
    if (rates.kafka > 0) void this.publish(Math.max(1, Math.round(rates.kafka / 10)));
  }

  private run(name: 'rest' | 'restIdempotent' | 'grpc', call: () => Promise<void>): void {
    if (this.inFlight[name] >= MAX_IN_FLIGHT) return;
    this.inFlight[name]++;
    const count = this.counts[name];
    count.sent++;
    const started = performance.now();
    call().then(
      () => {
        count.ok++;
        count.latencies.push(performance.now() - started);
      },
      (error: Error) => fail(count, error.message.slice(0, 80)),
    ).finally(() => this.inFlight[name]--);
  }

  private async restCall(idempotent: boolean): Promise<void> {
    const n = this.n++;
    const headers: Record<string, string> = { 'x-request-id': `soak-${n}`, ...(idempotent ? { 'idempotency-key': `soak-key-${n}` } : {}) };
    const answer = await this.suite.call('POST', `/v2/models/${this.model}/infer`, this.token, { inputs: [input(n)] }, headers);
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
  }

  private async grpcCall(): Promise<void> {
    const n = this.n++;
    const { data, ...tensor } = input(n);
    await this.grpc!.infer({ model: this.model, id: `soak-${n}`, inputs: [{ ...tensor, datatype: 'FP32', data: Buffer.from(new Float32Array(data).buffer) }] });
  }

  private async publish(count: number): Promise<void> {
    if (this.kafkaSent.size >= 10 * MAX_IN_FLIGHT) return;
    const messages = Array.from({ length: count }, () => {
      const n = this.n++;
      this.kafkaSent.set(`soak-${n}`, performance.now());
      return { key: `soak-${n}`, value: JSON.stringify({ model_name: this.model, id: `soak-${n}`, inputs: [input(n)] }), headers: { authorization: `Bearer ${this.token}` } };
    });
    this.counts.kafka.sent += count;
    await this.producer!.send({ topic: inferenceStreamTopics(this.suite.prefix).requests, messages }).catch((error: Error) => {
      for (const m of messages) this.kafkaSent.delete(m.key);
      this.counts.kafka.failed += count;
      this.counts.kafka.why[`publish: ${error.message.slice(0, 60)}`] = (this.counts.kafka.why[`publish: ${error.message.slice(0, 60)}`] ?? 0) + count;
    });
  }

  private onReply(key: string, status: string): void {
    const sent = this.kafkaSent.get(key);
    if (sent === undefined) return;
    this.kafkaSent.delete(key);
    if (status === '200') {
      this.counts.kafka.ok++;
      this.counts.kafka.latencies.push(performance.now() - sent);
    } else fail(this.counts.kafka, `status ${status}`);
  }

  private async job(rows: number): Promise<void> {
    if (this.inFlight.jobs > 0) return;
    this.inFlight.jobs++;
    const count = this.counts.jobs;
    count.sent++;
    const started = performance.now();
    try {
      const body = Buffer.from(Array.from({ length: rows }, (_, i) => JSON.stringify({ inputs: [input(i)] })).join('\n') + '\n');
      const submitted = await this.suite.call('POST', `/v2/batch/jobs?model=${this.model}`, this.token, body, { 'content-type': 'application/x-ndjson' });
      if (submitted.status !== 201) throw new Error(`submit HTTP ${submitted.status}`);
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const view = (await this.suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, this.token)).json as { state: string; failed?: number };
        if (view.state === 'completed' && !view.failed) break;
        if (['completed', 'failed', 'cancelled'].includes(view.state)) throw new Error(`job ${view.state}, ${view.failed ?? 0} rows failed`);
      }
      count.ok++;
      count.latencies.push(performance.now() - started);
    } catch (error) {
      fail(count, (error as Error).message.slice(0, 80));
    } finally {
      this.inFlight.jobs--;
    }
  }
}

function part(): PartCount {
  return { sent: 0, ok: 0, failed: 0, why: {}, latencies: [] };
}

function fail(count: PartCount, why: string): void {
  count.failed++;
  count.why[why] = (count.why[why] ?? 0) + 1;
}

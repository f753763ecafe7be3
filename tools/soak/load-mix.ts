import type { Consumer, Producer } from 'kafkajs';
import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { encodeBinaryInferRequest, OipGrpcClient, testKafka } from '@falaj/testing';
import type { FalajSuite } from '@falaj/testing';

/** Calls per second of each part of the soak's mix; a job of `jobRows` rows every `jobEverySeconds`. */
export interface MixRates {
  rest: number;
  restIdempotent: number;
  grpc: number;
  kafka: number;
  jobRows: number;
  jobEverySeconds: number;
  /** REST calls per second in Triton's binary tensor layout (default 0). */
  restBinary?: number;
}

/**
 * A run's rates: each part's defaults, overridden per part by `<PREFIX>_REST_RPS`,
 * `_BINARY_RPS`, `_IDEMPOTENT_RPS`, `_GRPC_RPS` and `_KAFKA_RPS` (the soak's and the chaos run's knobs).
 */
export function mixRatesFromEnv(prefix: string, defaults: MixRates, env: NodeJS.ProcessEnv = process.env): MixRates {
  const rate = (name: string, fallback: number | undefined) => Number(env[`${prefix}_${name}_RPS`] ?? fallback ?? 0);
  return {
    ...defaults,
    rest: rate('REST', defaults.rest),
    restBinary: rate('BINARY', defaults.restBinary),
    restIdempotent: rate('IDEMPOTENT', defaults.restIdempotent),
    grpc: rate('GRPC', defaults.grpc),
    kafka: rate('KAFKA', defaults.kafka),
  };
}

export type MixPart = 'rest' | 'restBinary' | 'restIdempotent' | 'grpc' | 'kafka' | 'jobs';

/**
 * How one call of the mix ended, as its client saw it: an answer (an HTTP-like status, with its
 * Retry-After and body, or a gRPC status code with its retry-after metadata), or no answer at all
 * (a transport error: `code` is e.g. ECONNREFUSED or UND_ERR_SOCKET).
 */
export type CallSettlement =
  | { kind: 'http'; status: number; retryAfter?: string; body?: unknown }
  | { kind: 'grpc'; code: number; retryAfter?: string; message: string }
  | { kind: 'kafka'; status: string }
  | { kind: 'transport'; code: string; message: string };

/** Sees every call of the mix by its request id: for a harness that classifies each outcome (npm run chaos). */
export interface CallObserver {
  sent(part: MixPart, id: string): void;
  settled(part: MixPart, id: string, how: CallSettlement): void;
  /** A batch job the gateway accepted (201), by its id. */
  jobAccepted?(id: string): void;
  /** A batch job submission answered other than 201: what it said, so a run can tell when and why. */
  jobRefused?(status: number, error: string, retryAfter?: string): void;
}

/** A failed call with what its client got back, so an observer can tell a clear retryable answer from a loss. */
class CallFailed extends Error {
  constructor(
    readonly how: CallSettlement,
    message: string,
  ) {
    super(message);
  }
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
  readonly counts: Record<MixPart, PartCount> = {
    rest: part(),
    restBinary: part(),
    restIdempotent: part(),
    grpc: part(),
    kafka: part(),
    jobs: part(),
  };
  private token = '';
  private grpc?: OipGrpcClient;
  private producer?: Producer;
  private consumer?: Consumer;
  private readonly kafkaSent = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = { rest: 0, restBinary: 0, restIdempotent: 0, grpc: 0, kafka: 0, jobs: 0 };
  private n = 0;

  constructor(
    private readonly suite: FalajSuite,
    private readonly tenant: string,
    private readonly model: string,
    private readonly mintToken: () => Promise<string>,
    private readonly observer?: CallObserver,
    /** Request ids are `${idPrefix}-${n}` (default `soak`). */
    private readonly idPrefix = 'soak',
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

  /** Stops sending; waits up to `drainMs` for what is in flight (streamed requests too) to land, so it is counted. */
  async stop(drainMs = 15_000): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    const until = Date.now() + drainMs;
    while (Date.now() < until && (Object.values(this.inFlight).some((n) => n > 0) || this.kafkaSent.size > 0)) await new Promise((r) => setTimeout(r, 200));
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
    for (let i = 0; i < rates.rest / 10; i++) this.run('rest', this.restCall(false));
    for (let i = 0; i < (rates.restBinary ?? 0) / 10; i++) this.run('restBinary', this.restBinaryCall());
    for (let i = 0; i < rates.restIdempotent / 10; i++) this.run('restIdempotent', this.restCall(true));
    for (let i = 0; i < rates.grpc / 10; i++) this.run('grpc', this.grpcCall());
    if (rates.kafka > 0) void this.publish(Math.max(1, Math.round(rates.kafka / 10)));
  }

  private run(name: 'rest' | 'restBinary' | 'restIdempotent' | 'grpc', call: (id: string) => Promise<CallSettlement>): void {
    if (this.inFlight[name] >= MAX_IN_FLIGHT) return;
    this.inFlight[name]++;
    const count = this.counts[name];
    count.sent++;
    const id = `${this.idPrefix}-${this.n++}`;
    this.observer?.sent(name, id);
    const started = performance.now();
    call(id)
      .then(
        (how) => {
          count.ok++;
          count.latencies.push(performance.now() - started);
          this.observer?.settled(name, id, how);
        },
        (error: Error) => {
          fail(count, error.message.slice(0, 80));
          this.observer?.settled(name, id, error instanceof CallFailed ? error.how : transportFailure(error));
        },
      )
      .finally(() => this.inFlight[name]--);
  }

  private restCall(idempotent: boolean) {
    return async (id: string): Promise<CallSettlement> => {
      const headers: Record<string, string> = { 'x-request-id': id, ...(idempotent ? { 'idempotency-key': `${id}-key` } : {}) };
      const answer = await this.suite.call('POST', `/v2/models/${this.model}/infer`, this.token, { inputs: [input(numberOf(id))] }, headers);
      return httpSettlement(answer);
    };
  }

  private restBinaryCall() {
    return async (id: string): Promise<CallSettlement> => {
      const { data, ...tensor } = input(numberOf(id));
      const { body, headers } = encodeBinaryInferRequest({ id, inputs: [{ ...tensor, datatype: 'FP32', data: Buffer.from(new Float32Array(data).buffer) }] });
      const answer = await this.suite.call('POST', `/v2/models/${this.model}/infer`, this.token, body, { ...headers, 'x-request-id': id });
      return httpSettlement(answer);
    };
  }

  private grpcCall() {
    return async (id: string): Promise<CallSettlement> => {
      const { data, ...tensor } = input(numberOf(id));
      try {
        await this.grpc!.infer({ model: this.model, id, inputs: [{ ...tensor, datatype: 'FP32', data: Buffer.from(new Float32Array(data).buffer) }], metadata: { 'x-request-id': id } });
      } catch (error) {
        const e = error as Error & { code?: number; metadata?: { get(key: string): (string | Buffer)[] } };
        if (typeof e.code !== 'number') throw error;
        const retryAfter = e.metadata?.get('retry-after')?.[0];
        throw new CallFailed({ kind: 'grpc', code: e.code, message: e.message, ...(retryAfter !== undefined ? { retryAfter: String(retryAfter) } : {}) }, e.message);
      }
      return { kind: 'grpc', code: 0, message: 'OK' };
    };
  }

  private async publish(count: number): Promise<void> {
    if (this.kafkaSent.size >= 10 * MAX_IN_FLIGHT) return;
    const messages = Array.from({ length: count }, () => {
      const n = this.n++;
      const id = `${this.idPrefix}-${n}`;
      return { key: id, value: JSON.stringify({ model_name: this.model, id, inputs: [input(n)] }), headers: { authorization: `Bearer ${this.token}` } };
    });
    this.counts.kafka.sent += count;
    // Sent once the broker has it (acks=all): only then is a request accepted, and owed an answer.
    const publishing = messages.map((m) => m.key);
    const at = performance.now();
    for (const key of publishing) this.kafkaSent.set(key, at);
    await this.producer!.send({ topic: inferenceStreamTopics(this.suite.prefix).requests, messages }).then(
      () => {
        for (const key of publishing) this.observer?.sent('kafka', key);
      },
      (error: Error) => {
        for (const m of messages) this.kafkaSent.delete(m.key);
        this.counts.kafka.failed += count;
        this.counts.kafka.why[`publish: ${error.message.slice(0, 60)}`] = (this.counts.kafka.why[`publish: ${error.message.slice(0, 60)}`] ?? 0) + count;
      },
    );
  }

  private onReply(key: string, status: string): void {
    const sent = this.kafkaSent.get(key);
    if (sent === undefined) return;
    this.kafkaSent.delete(key);
    this.observer?.settled('kafka', key, { kind: 'kafka', status });
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
      if (submitted.status !== 201) {
        const error = (submitted.json as { error?: string } | undefined)?.error ?? '';
        this.observer?.jobRefused?.(submitted.status, error, submitted.headers.get('retry-after') ?? undefined);
        throw new Error(`submit HTTP ${submitted.status}`);
      }
      this.observer?.jobAccepted?.(submitted.json.id);
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

const numberOf = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));

function httpSettlement(answer: { status: number; headers: Headers; json: unknown }): CallSettlement {
  const how: CallSettlement = { kind: 'http', status: answer.status, body: answer.json, ...(answer.headers.get('retry-after') ? { retryAfter: answer.headers.get('retry-after')! } : {}) };
  if (answer.status !== 200) throw new CallFailed(how, `HTTP ${answer.status}`);
  return how;
}

/** No answer: fetch's `cause` carries the socket's code (ECONNREFUSED, UND_ERR_SOCKET, ...). */
function transportFailure(error: Error): CallSettlement {
  const cause = (error as Error & { cause?: { code?: string } }).cause;
  return { kind: 'transport', code: cause?.code ?? (error as Error & { code?: string }).code ?? 'unknown', message: error.message };
}

function part(): PartCount {
  return { sent: 0, ok: 0, failed: 0, why: {}, latencies: [] };
}

function fail(count: PartCount, why: string): void {
  count.failed++;
  count.why[why] = (count.why[why] ?? 0) + 1;
}

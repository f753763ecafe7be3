import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AppMetrics } from '@falaj/observability';

/** The streaming bridge's own Prometheus metrics, in the router's one registry (served at /metrics with the shared ones). */
@Injectable()
export class StreamingMetrics {
  readonly messages: Counter;
  readonly latency: Histogram;
  readonly batches: Counter;
  readonly lag: Gauge;
  readonly paused: Gauge;
  readonly refused: Counter;
  readonly consumerRestarts: Counter;

  constructor(metrics: AppMetrics) {
    const registers = [metrics.registry];
    this.messages = new Counter({
      name: 'falaj_stream_messages_total',
      help: 'Streamed inference requests consumed, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'falaj_stream_request_seconds',
      help: 'Time from consuming a streamed request to having its answer',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batches = new Counter({
      name: 'falaj_stream_batches_total',
      help: 'Consumed batches committed in one Kafka transaction each',
      registers,
    });
    this.lag = new Gauge({
      name: 'falaj_stream_consumer_lag',
      help: 'Messages on the requests topic not yet consumed by the bridge, per partition',
      labelNames: ['partition'] as const,
      registers,
    });
    this.paused = new Gauge({
      name: 'falaj_stream_paused',
      help: '1 while the bridge holds back consumption because no worker can take the work',
      registers,
    });
    this.refused = new Counter({
      name: 'falaj_stream_refused_total',
      help: 'Streamed requests answered 503 (retry later) because their pool stream was over its budget, by limit (stream_entries, stream_bytes)',
      labelNames: ['limit'] as const,
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'falaj_stream_consumer_crashes_total',
      help: 'Crashes of the streaming consumer, by who restarts it (kafkajs after a retriable error, else the bridge with backoff)',
      labelNames: ['by'] as const,
      registers,
    });
  }
}

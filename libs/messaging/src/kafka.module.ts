import { DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import { createKafka, createProducer, ensureTopics, type KafkaConnection, type TopicSpec } from './kafka.factory';

export const KAFKA = Symbol('KAFKA');
export const KAFKA_PRODUCER = Symbol('KAFKA_PRODUCER');

export interface KafkaModuleOptions {
  clientId: string;
  connection: KafkaConnection;
  /** Topics this app needs; created at boot where missing. */
  topics: TopicSpec[];
  /**
   * A producer connected at boot (default true). False: no KAFKA_PRODUCER, and boot needs no
   * broker; the app connects its own producer when it can (the gateway: its audit spool drains
   * whenever Kafka is there, and a Kafka outage is no gateway outage).
   */
  producerAtBoot?: boolean;
}

@Injectable()
class KafkaProducerCloser implements OnApplicationShutdown {
  constructor(@Inject(KAFKA_PRODUCER) private readonly producer: Producer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** One Kafka client and one connected, idempotent producer per app, closed at shutdown. */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA, useValue: createKafka(options.clientId, options.connection) },
        ...(options.producerAtBoot === false
          ? []
          : [
              {
                provide: KAFKA_PRODUCER,
                inject: [KAFKA],
                useFactory: async (kafka: Kafka): Promise<Producer> => {
                  await ensureTopics(kafka, options.topics);
                  const producer = createProducer(kafka);
                  await producer.connect();
                  return producer;
                },
              },
              KafkaProducerCloser,
            ]),
      ],
      exports: options.producerAtBoot === false ? [KAFKA] : [KAFKA, KAFKA_PRODUCER],
    };
  }
}

import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { ModelCommandSchema, commandVersion, modelCommandsTopic, type ModelCommand } from '@falaj/contracts';
import { EventConsumer } from '@falaj/messaging';
import type { ServingPlan } from './hosting/serving-plan';

// The plan moved to hosting/serving-plan.ts; named here too for the code that found it here.
export { ServingPlan, lifecycleVersions } from './hosting/serving-plan';

/**
 * Follows `model.commands.v1` (compacted, replayed from the start like the lifecycle) and hands
 * the commands meant for this worker's pool to the serving plan.
 */
export class ModelCommandsListener {
  private readonly logger = new Logger(ModelCommandsListener.name);
  private readonly consumer: EventConsumer<ModelCommand>;

  constructor(options: { kafka: Kafka; prefix: string; workerId: string; pool: string; plan: ServingPlan }) {
    this.consumer = new EventConsumer({
      kafka: options.kafka,
      groupId: `${options.prefix}-worker-commands-${options.workerId}`,
      topic: modelCommandsTopic(options.prefix),
      schema: ModelCommandSchema,
      fromBeginning: true,
      commitOffsets: false,
      trackReplay: true,
      handle: async (events) => {
        for (const { value } of events) {
          if (value.pool !== undefined && value.pool !== options.pool) continue;
          this.logger.log({ tenant: value.tenantId, model: value.model, version: commandVersion(value), command: value.command }, 'model command');
          await options.plan.override(value);
        }
      },
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /** Every command the topic held at start has been handed to the plan. */
  replayed(): Promise<void> {
    return this.consumer.replayed();
  }
}

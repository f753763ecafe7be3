import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { ModelCommandSchema, commandVersion, modelCommandKey, modelCommandsTopic, type ModelCommand } from '@falaj/contracts';
import { EventPublisher, KAFKA_PRODUCER } from '@falaj/messaging';
import type { ModelEntity } from '../catalog';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';

/** Operators' explicit load/unload of versions, to the workers over `model.commands.v1`. */
@Injectable()
export class ModelCommandsPublisher {
  private readonly logger = new Logger(ModelCommandsPublisher.name);
  private readonly publisher: EventPublisher<ModelCommand>;

  constructor(@Inject(KAFKA_PRODUCER) producer: Producer, @Inject(REGISTRY_CONFIG) config: RegistryConfig) {
    this.publisher = new EventPublisher(producer, modelCommandsTopic(config.prefix), ModelCommandSchema);
  }

  async publish(command: ModelCommand): Promise<void> {
    const version = commandVersion(command);
    await this.publisher.publish(modelCommandKey(command.tenantId, command.model, version), command, { command: command.command });
    this.logger.log({ tenant: command.tenantId, model: command.model, version, command: command.command, pool: command.pool }, 'model command sent');
  }

  /** Drops any override of a version (archived or deleted): the lifecycle alone decides again. */
  clear(model: ModelEntity, version: number, actor: string): Promise<void> {
    return this.publish({ command: 'clear', tenantId: model.tenantId, model: model.name, version, actor, occurredAt: new Date().toISOString() });
  }
}

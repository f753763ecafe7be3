import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Producer } from 'kafkajs';
import type { Repository } from 'typeorm';
import {
  ModelLifecycleEventSchema,
  modelLifecycleKey,
  modelLifecycleTopic,
  type ModelLifecycleEvent,
  type ServingVersion,
} from '@falaj/contracts';
import { EventPublisher, KAFKA_PRODUCER } from '@falaj/messaging';
import { ModelEntity } from '../models/model.entity';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { ModelVersionEntity } from '../versions/model-version.entity';

type Change = Pick<ModelLifecycleEvent, 'type' | 'version' | 'stage' | 'actor'>;

/**
 * Publishes `model.lifecycle` events. Each carries the model's whole serving state, read back
 * from Postgres after the change committed, so the compacted topic always converges on the
 * database. At boot it republishes every model's state: a publish lost to a Kafka outage
 * between commit and send is healed by the next start.
 */
@Injectable()
export class LifecyclePublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger(LifecyclePublisher.name);
  private readonly publisher: EventPublisher<ModelLifecycleEvent>;

  constructor(
    @Inject(KAFKA_PRODUCER) producer: Producer,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @InjectRepository(ModelVersionEntity) private readonly versions: Repository<ModelVersionEntity>,
  ) {
    this.publisher = new EventPublisher(producer, modelLifecycleTopic(config.prefix), ModelLifecycleEventSchema);
  }

  async onApplicationBootstrap(): Promise<void> {
    const models = await this.models.find();
    for (const model of models) {
      await this.publishModelState(model, { type: 'model.created', version: null, stage: null, actor: 'registry:resync' });
    }
    this.logger.log({ models: models.length }, 'republished the serving state of every model');
  }

  async publishModelState(model: ModelEntity, change: Change): Promise<void> {
    const event: ModelLifecycleEvent = {
      ...change,
      tenantId: model.tenantId,
      model: model.name,
      production: await this.productionOf(model),
      occurredAt: new Date().toISOString(),
    };
    await this.publisher.publish(modelLifecycleKey(model.tenantId, model.name), event, { 'event-type': change.type });
  }

  private async productionOf(model: ModelEntity): Promise<ServingVersion | null> {
    const version = await this.versions.findOneBy({ modelId: model.id, stage: 'production' });
    if (!version) return null;
    return {
      version: version.version,
      signature: version.signature,
      artifact: { sha256: version.sha256, sizeBytes: version.sizeBytes, downloadPath: `/internal/artifacts/${version.sha256}` },
    };
  }
}

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { ModelLifecycleEventSchema, modelLifecycleTopic, poolName, type ModelLifecycleEvent } from '@falaj/contracts';
import { EventConsumer, KAFKA, type ConsumedEvent } from '@falaj/messaging';
import { deploymentRoute, productionRoute } from '@falaj/routing';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';
import { RoutingTableWriter } from '../routing-table/routing-table.writer';

/**
 * Turns each model's lifecycle state into its route: a deployment → its hardware's pool (for
 * `auto` the CPU pool, nominal: the gateway places each request), else the production version →
 * the CPU pool.
 */
@Injectable()
export class LifecycleConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LifecycleConsumer.name);
  private readonly consumer: EventConsumer<ModelLifecycleEvent>;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly table: RoutingTableWriter,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: `${config.prefix}-router`,
      topic: modelLifecycleTopic(config.prefix),
      schema: ModelLifecycleEventSchema,
      fromBeginning: true,
      // Replay the compacted topic on every start: the table is rebuilt even if Redis lost it.
      commitOffsets: false,
      handle: (events) => this.apply(events),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async apply(events: ConsumedEvent<ModelLifecycleEvent>[]): Promise<void> {
    for (const { value: event } of events) {
      if (event.deployment && event.type !== 'model.deleted') {
        // `auto` rides on the route (deploymentRoute): the CPU pool is only its nominal pool.
        const hardware = event.deployment.hardware === 'gpu' ? 'gpu' : 'cpu';
        const { regions } = event.deployment;
        const region = regions.length === 0 || regions.includes(this.config.defaultRegion) ? this.config.defaultRegion : regions[0];
        const pool = poolName(hardware, region);
        await this.table.put(deploymentRoute(event.tenantId, event.model, event.deployment, pool));
        this.logger.log(
          { tenant: event.tenantId, model: event.model, revision: event.deployment.revision, pool, hardware: event.deployment.hardware },
          'route set from the deployment',
        );
      } else if (event.production && event.type !== 'model.deleted') {
        const pool = poolName('cpu', this.config.defaultRegion);
        await this.table.put(productionRoute(event.tenantId, event.model, event.production, pool));
        this.logger.log({ tenant: event.tenantId, model: event.model, version: event.production.version, pool }, 'route set');
      } else {
        await this.table.remove(event.tenantId, event.model);
        this.logger.log({ tenant: event.tenantId, model: event.model }, 'route removed: no production version');
      }
    }
  }
}

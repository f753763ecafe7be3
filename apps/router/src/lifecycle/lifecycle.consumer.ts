import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { ModelLifecycleEventSchema, modelLifecycleTopic, type ModelLifecycleEvent } from '@falaj/contracts';
import { EventConsumer, KAFKA, type ConsumedEvent } from '@falaj/messaging';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';
import { lifecycleRoute } from '../routing-table/lifecycle-route.policy';
import { RouteReplay, type RouteChange } from '../routing-table/route-replay';
import { RoutingTableWriter } from '../routing-table/routing-table.writer';

/**
 * Turns each model's lifecycle state into its route (lifecycleRoute). The topic is replayed from
 * its start on every assignment; RouteReplay makes a replay apply only each model's latest state,
 * once the partition is read to its end, so a rebalance never takes a live route away.
 */
@Injectable()
export class LifecycleConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LifecycleConsumer.name);
  private readonly consumer: EventConsumer<ModelLifecycleEvent>;
  private readonly replay = new RouteReplay();
  /** The partition of every field this router wrote: what to stop keeping when the partition moves. */
  private readonly partitionOf = new Map<string, number>();

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
      onAssigned: (partitions) => this.assigned(partitions),
      onCaughtUp: (partition) => this.caughtUp(partition),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async apply(events: ConsumedEvent<ModelLifecycleEvent>[]): Promise<void> {
    await this.write(this.replay.take(events), 'route set');
  }

  private assigned(partitions: number[]): void {
    this.replay.assigned(partitions);
    const moved = [...this.partitionOf].filter(([, p]) => !this.replay.owns(p)).map(([field]) => field);
    for (const field of moved) this.partitionOf.delete(field);
    this.table.forget(moved);
    this.logger.log({ partitions, released: moved.length }, 'lifecycle partitions assigned: replaying them');
  }

  private async caughtUp(partition: number): Promise<void> {
    const changes = this.replay.caughtUp(partition);
    if (changes.length > 0) await this.write(changes, 'route set from the replayed state');
    this.replay.applied(partition);
  }

  private async write(changes: RouteChange[], what: string): Promise<void> {
    if (changes.length === 0) return;
    const routes = changes.map(({ field, event }) => ({ field, route: lifecycleRoute(event, this.config.defaultRegion) }));
    await this.table.apply(routes);
    for (const { field, partition } of changes) this.partitionOf.set(field, partition);
    for (const { field, route } of routes) {
      if (route) this.logger.log({ field, versions: route.targets.map((t) => t.version), pool: route.targets[0].pool, hardware: route.hardware }, what);
      else this.logger.log({ field }, 'route removed: no production version');
    }
  }
}

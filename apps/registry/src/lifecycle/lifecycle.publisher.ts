import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import {
  ModelLifecycleEventSchema,
  hostingRegions,
  modelLifecycleKey,
  modelLifecycleTopic,
  servingDeployment,
  type DeploymentState,
  type ModelLifecycleEvent,
  type ServingSettings,
  type ServingVersion,
} from '@falaj/contracts';
import { EventPublisher, KAFKA_PRODUCER } from '@falaj/messaging';
import { CatalogReader, CatalogRepository, type ModelEntity, type ModelVersionEntity } from '../catalog';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';

type Change = Pick<ModelLifecycleEvent, 'type' | 'version' | 'stage' | 'actor'>;

/** What a worker needs of a version to serve it, with the deployment's settings when it has some. */
export function servingVersionOf(version: ModelVersionEntity, serving?: ServingSettings): ServingVersion {
  return {
    version: version.version,
    signature: version.signature,
    artifact: { sha256: version.sha256, sizeBytes: version.sizeBytes, downloadPath: `/internal/artifacts/${version.sha256}` },
    ...(serving && Object.keys(serving).length > 0 ? { serving } : {}),
  };
}

/**
 * Publishes `model.lifecycle` events. Each carries the model's whole serving state (production
 * version and the deployment that serves: servingDeployment), read back from Postgres after the
 * change committed, so the compacted topic always converges on the database. At boot it
 * republishes every model's state: a publish lost to a Kafka outage between commit and send is
 * healed by the next start.
 */
@Injectable()
export class LifecyclePublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger(LifecyclePublisher.name);
  private readonly publisher: EventPublisher<ModelLifecycleEvent>;

  constructor(
    @Inject(KAFKA_PRODUCER) producer: Producer,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    private readonly catalog: CatalogRepository,
    private readonly reader: CatalogReader,
    private readonly tenants: TenantRecords,
  ) {
    this.publisher = new EventPublisher(producer, modelLifecycleTopic(config.prefix), ModelLifecycleEventSchema);
  }

  async onApplicationBootstrap(): Promise<void> {
    const models = await this.reader.allModels();
    for (const model of models) {
      await this.publishModelState(model, { type: 'model.created', version: null, stage: null, actor: 'registry:resync' });
    }
    this.logger.log({ models: models.length }, 'republished the serving state of every model');
  }

  async publishModelState(model: ModelEntity, change: Change): Promise<void> {
    const deleted = change.type === 'model.deleted';
    const explicit = deleted ? undefined : await this.deploymentOf(model);
    const production = deleted ? null : await this.productionOf(model, explicit);
    // Always the deployment that serves (the implicit one of a production version included), so no consumer derives it.
    const deployment = servingDeployment({ type: change.type, production, deployment: explicit }) ?? undefined;
    const event: ModelLifecycleEvent = {
      ...change,
      tenantId: model.tenantId,
      model: model.name,
      production,
      ...(deployment ? { deployment } : {}),
      ...(deleted ? {} : await this.regionsOf(model, deployment)),
      occurredAt: new Date().toISOString(),
    };
    await this.publisher.publish(modelLifecycleKey(model.tenantId, model.name), event, { 'event-type': change.type });
  }

  /** Where workers may hold the model's versions: the tenant's region (within the deployment's), never another's. */
  async regionsOf(model: ModelEntity, deployment?: DeploymentState): Promise<{ regions?: string[] }> {
    const regions = hostingRegions(await this.tenants.residency(model.tenantId), (deployment ?? (await this.deploymentOf(model)))?.regions);
    return regions === undefined ? {} : { regions };
  }

  /**
   * The production version (the one `production` has always meant); where a deployment splits
   * traffic over several, the heaviest — the router and workers read `deployment` for the rest.
   */
  private async productionOf(model: ModelEntity, deployment: DeploymentState | undefined): Promise<ServingVersion | null> {
    if (deployment) {
      const { weight: _weight, ...primary } = deployment.targets.reduce((best, t) => (t.weight > best.weight ? t : best));
      return primary;
    }
    const version = await this.reader.latestProduction(model.id);
    return version ? servingVersionOf(version) : null;
  }

  private async deploymentOf(model: ModelEntity): Promise<DeploymentState | undefined> {
    const deployment = await this.catalog.deployment(model.id);
    if (!deployment) return undefined;
    const { spec } = deployment;
    const rows = await this.catalog.versions(model.id);
    const byNumber = new Map(rows.map((r) => [r.version, r]));
    const serving = (version: number): ServingVersion => {
      const row = byNumber.get(version);
      if (!row) throw new Error(`deployment of ${model.name} names missing version ${version}`);
      return servingVersionOf(row, spec.serving);
    };
    return {
      revision: deployment.revision,
      targets: spec.targets.map((t) => ({ ...serving(t.version), weight: t.weight })),
      shadow: spec.shadow === null ? null : serving(spec.shadow),
      shadowPercent: spec.shadowPercent ?? 100,
      hardware: spec.hardware,
      regions: spec.regions,
      slaP95Ms: spec.slaP95Ms,
    };
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '@falaj/auth';
import { AliasesService } from '../aliases/aliases.service';
import { CatalogReader, CatalogRepository, type DeploymentEntity, type DeploymentRevisionEntity, type DeploymentSpec, type ModelEntity, type StageChange } from '../catalog';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { deploymentProblems, primaryVersion, servedVersions, servingLimitOf, servingLimitProblems, switchedSpec } from './deployment.policy';
import { servingSettingsOf, type DeploymentInput, type SwitchInput } from './deployment-spec.schema';
import { DeploymentsError } from './deployments.exception';

/**
 * One deployment per model. While it stands, its targets are exactly the model's production
 * versions (so "one production version unless the deployment splits traffic" holds by
 * construction); every change is a new revision and a lifecycle event.
 */
@Injectable()
export class DeploymentsService {
  private readonly logger = new Logger(DeploymentsService.name);

  constructor(
    private readonly catalog: CatalogRepository,
    private readonly reader: CatalogReader,
    private readonly aliases: AliasesService,
    private readonly lifecycle: LifecyclePublisher,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async get(model: ModelEntity): Promise<DeploymentEntity> {
    const found = await this.catalog.deployment(model.id);
    if (!found) throw DeploymentsError.notFound(model.name);
    return found;
  }

  history(model: ModelEntity): Promise<DeploymentRevisionEntity[]> {
    return this.reader.revisions(model.id);
  }

  async put(principal: Principal, model: ModelEntity, input: DeploymentInput): Promise<DeploymentEntity> {
    // Checked before any version is resolved, so the caller hears of the maxima first; write() checks again for every path.
    this.checkMaxima(servingSettingsOf(input));
    const saved = await this.catalog.changeModel(model.id, async (tx) => {
      const spec: DeploymentSpec = {
        targets: [],
        shadow: input.shadow === null ? null : await this.aliases.resolve(model, input.shadow, tx),
        shadowPercent: input.shadowPercent,
        hardware: input.hardware,
        serving: servingSettingsOf(input),
        slaP95Ms: input.slaP95Ms,
        regions: input.regions,
      };
      for (const target of input.targets) spec.targets.push({ version: await this.aliases.resolve(model, target.version, tx), weight: target.weight });
      return this.apply(tx, model, spec, { actor: principal.subject, reason: input.reason });
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, revision: saved.revision, targets: saved.spec.targets }, 'deployment set');
    await this.published(model, principal.subject);
    return saved;
  }

  /**
   * Blue-green: all traffic to one version in a single revision (the router swaps the whole
   * route at once). Without a version, back to the primary of the revision before this one.
   */
  async switchTo(principal: Principal, model: ModelEntity, input: Partial<SwitchInput> & { reason: string }): Promise<DeploymentEntity> {
    const saved = await this.catalog.changeModel(model.id, async (tx) => {
      const current = await this.catalog.deployment(model.id, tx);
      if (!current) throw DeploymentsError.notFound(model.name);
      const version = input.version === undefined ? await this.previousPrimary(tx, model, current.revision) : await this.aliases.resolve(model, input.version, tx);
      const reason = input.reason || (input.version === undefined ? `switch back to version ${version}` : `switch to version ${version}`);
      return this.apply(tx, model, switchedSpec(current.spec, version), { actor: principal.subject, reason });
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, revision: saved.revision, version: primaryVersion(saved.spec) }, 'blue-green switch');
    await this.published(model, principal.subject);
    return saved;
  }

  private async previousPrimary(tx: EntityManager, model: ModelEntity, revision: number): Promise<number> {
    const previous = await this.catalog.revision(model.id, revision - 1, tx);
    if (!previous?.spec) throw DeploymentsError.nothingToSwitchBack(model.name);
    return primaryVersion(previous.spec);
  }

  /** Removes the deployment; the heaviest target stays the one production version. */
  async remove(principal: Principal, model: ModelEntity): Promise<void> {
    await this.catalog.changeModel(model.id, async (tx) => {
      const current = await this.catalog.deployment(model.id, tx);
      if (!current) throw DeploymentsError.notFound(model.name);
      await this.removeIn(tx, model, primaryVersion(current.spec), { actor: principal.subject, reason: 'deployment removed' });
    });
    await this.published(model, principal.subject);
  }

  /**
   * Validates `spec` against the model's versions, writes it as the next revision, and makes its
   * targets exactly the production versions. The caller's transaction holds the model's lock;
   * after it commits, the caller announces the change (`published`).
   */
  async apply(tx: EntityManager, model: ModelEntity, spec: DeploymentSpec, change: StageChange): Promise<DeploymentEntity> {
    const problems = deploymentProblems(spec, await this.catalog.stagesOf(model.id, tx));
    if (problems.length > 0) throw DeploymentsError.invalid(problems);
    const written = await this.write(tx, model.id, spec, change);
    await this.catalog.serveExactly(tx, model.id, servedVersions(spec), { actor: change.actor, reason: `deployment revision ${written.revision}` });
    return written;
  }

  /** Removes the deployment in the caller's transaction, `production` staying the one production version. */
  async removeIn(tx: EntityManager, model: ModelEntity, production: number, change: StageChange): Promise<void> {
    await this.write(tx, model.id, null, change);
    await this.catalog.serveExactly(tx, model.id, [production], change);
  }

  /** Announces a committed deployment change: the lifecycle event the router and workers act on. */
  published(model: ModelEntity, actor: string): Promise<void> {
    return this.lifecycle.publishModelState(model, { type: 'deployment.changed', version: null, stage: null, actor });
  }

  /**
   * Writes the next revision (a null spec removes the deployment); the caller holds the model's
   * lock. Every revision passes here — PUT, a blue-green switch, each rollout step and its
   * rollback, a promotion — so the platform's maxima are checked here once: a spec carried
   * forward from before a maximum was lowered is refused too, never written again.
   */
  async write(tx: EntityManager, modelId: string, spec: DeploymentSpec | null, change: StageChange): Promise<DeploymentEntity> {
    if (spec !== null) this.checkMaxima(spec.serving);
    return this.catalog.writeRevision(tx, modelId, spec, change);
  }

  private checkMaxima(serving: DeploymentSpec['serving']): void {
    const limit = servingLimitOf(serving, this.config.servingMaxima);
    if (limit !== undefined) throw DeploymentsError.overMaxima(servingLimitProblems(serving, this.config.servingMaxima), limit);
  }
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Producer } from 'kafkajs';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Principal } from '@falaj/auth';
import { ACTIVE_ROLLOUT_STATES, RolloutEventSchema, rolloutTopic, type ModelLoadState, type RolloutEvent, type RolloutState, type VersionMetrics } from '@falaj/contracts';
import { EventPublisher, KAFKA_PRODUCER } from '@falaj/messaging';
import { AliasesService } from '../aliases/aliases.service';
import { CatalogRepository, type ModelEntity } from '../catalog';
import { promotedSpec } from '../deployments/deployment.policy';
import { DeploymentsService } from '../deployments/deployments.service';
import { versionLoadState } from '../load-state/load-state.policy';
import { WorkerHeartbeatsReader } from '../load-state/worker-heartbeats.reader';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { RolloutEventEntity } from './rollout-event.entity';
import { RolloutMetricsReader } from './rollout-metrics.reader';
import { planOf, type RolloutInput } from './rollout-plan.schema';
import { canaryWeightOf, judgeStep, rolloutSpec, type Verdict } from './rollout.policy';
import { RolloutEntity } from './rollout.entity';
import { RolloutsError } from './rollouts.exception';

/** What a caller sees of a rollout besides its record: its history and, while active, the live analysis. */
export interface RolloutDetail {
  rollout: RolloutEntity;
  events: RolloutEventEntity[];
  live: { canary: VersionMetrics; baseline: VersionMetrics; canaryLoad: { state: ModelLoadState; reason?: string }; verdict: Verdict } | null;
}

interface Observed {
  canary: VersionMetrics;
  baseline: VersionMetrics;
  canaryLoad: { state: ModelLoadState; reason?: string };
}

interface Change {
  type: RolloutEvent['type'];
  state: RolloutState;
  reason: string;
  actor: string;
  metrics?: { canary: VersionMetrics; baseline: VersionMetrics };
}

/** After a transaction commits: what to announce (the events on Kafka, and whether the deployment changed). */
interface Announcement {
  model: ModelEntity;
  events: RolloutEvent[];
  deploymentChanged: boolean;
  actor: string;
}

/**
 * Progressive rollouts. Each step is a deployment revision (so the router, the workers and
 * the deployment history see it like any other change) and a rollout event, recorded in
 * Postgres and published on Kafka. Every change happens under the model's lock and the
 * rollout's row lock, so two registries never both move one rollout.
 */
@Injectable()
export class RolloutsService {
  private readonly logger = new Logger(RolloutsService.name);
  private readonly publisher: EventPublisher<RolloutEvent>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: CatalogRepository,
    @Inject(KAFKA_PRODUCER) producer: Producer,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    private readonly aliases: AliasesService,
    private readonly deployments: DeploymentsService,
    private readonly metrics: RolloutMetricsReader,
    private readonly heartbeats: WorkerHeartbeatsReader,
  ) {
    this.publisher = new EventPublisher(producer, rolloutTopic(config.prefix), RolloutEventSchema);
  }

  async start(principal: Principal, model: ModelEntity, input: RolloutInput): Promise<RolloutEntity> {
    const actor = principal.subject;
    const { rollout, announcement } = await this.catalog.changeModel(model.id, async (tx) => {
      const active = await tx.getRepository(RolloutEntity).findOneBy({ modelId: model.id, state: In([...ACTIVE_ROLLOUT_STATES]) });
      if (active) throw RolloutsError.active(model.name, active.id);
      const current = await this.catalog.deployment(model.id, tx);
      const baseline = await this.baselineOf(tx, model, current?.spec.targets);
      const canary = await this.aliases.resolve(model, input.canary, tx);
      if (canary === baseline) throw RolloutsError.sameVersion(canary);
      const plan = planOf(input, current?.spec.slaP95Ms ?? null);
      const id = randomUUID();
      const reason = input.reason || `roll version ${canary} out over version ${baseline}: ${plan.steps.join(' → ')} %`;
      const written = await this.deployments.apply(tx, model, rolloutSpec(current?.spec ?? null, baseline, canary, plan.steps[0]), {
        actor,
        reason: `rollout ${id}: step 1 of ${plan.steps.length}, version ${canary} at ${plan.steps[0]}%`,
      });
      const created = await tx.getRepository(RolloutEntity).save(
        tx.getRepository(RolloutEntity).create({
          id,
          tenantId: model.tenantId,
          modelId: model.id,
          model: model.name,
          baselineVersion: baseline,
          canaryVersion: canary,
          plan,
          baselineSpec: current?.spec ?? null,
          state: 'progressing',
          step: 0,
          stepStartedAt: new Date(),
          deploymentRevision: written.revision,
          reason,
          createdBy: actor,
          finishedAt: null,
        }),
      );
      const event = await this.record(tx, created, { type: 'rollout.started', state: 'progressing', reason, actor });
      return { rollout: created, announcement: { model, events: [event], deploymentChanged: true, actor } };
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, rollout: rollout.id, canary: rollout.canaryVersion, steps: rollout.plan.steps }, 'rollout started');
    await this.announce(announcement);
    return rollout;
  }

  list(model: ModelEntity): Promise<RolloutEntity[]> {
    return this.db.getRepository(RolloutEntity).find({ where: { modelId: model.id }, order: { createdAt: 'DESC' }, take: 100 });
  }

  async detail(model: ModelEntity, id: string): Promise<RolloutDetail> {
    const rollout = await this.find(this.db.manager, model, id);
    const events = await this.db.getRepository(RolloutEventEntity).find({ where: { rolloutId: id }, order: { id: 'ASC' } });
    if (!ACTIVE_ROLLOUT_STATES.includes(rollout.state)) return { rollout, events, live: null };
    const seen = await this.observe(this.db.manager, rollout);
    return { rollout, events, live: { ...seen, verdict: this.judge(rollout, seen) } };
  }

  /** Holds the canary's weight where it is; the analysis still rolls back on a breach. */
  pause(principal: Principal, model: ModelEntity, id: string, reason: string): Promise<RolloutEntity> {
    return this.operate(model, id, 'pause', ['progressing'], async (tx, rollout) => ({
      event: await this.record(tx, rollout, { type: 'rollout.paused', state: 'paused', reason: reason || 'paused', actor: principal.subject }),
      deploymentChanged: false,
    }));
  }

  resume(principal: Principal, model: ModelEntity, id: string, reason: string): Promise<RolloutEntity> {
    return this.operate(model, id, 'resume', ['paused'], async (tx, rollout) => ({
      event: await this.record(tx, rollout, { type: 'rollout.resumed', state: 'progressing', reason: reason || 'resumed', actor: principal.subject }),
      deploymentChanged: false,
    }));
  }

  /** An operator's rollback: the deployment as it was before the rollout. */
  abort(principal: Principal, model: ModelEntity, id: string, reason: string): Promise<RolloutEntity> {
    return this.operate(model, id, 'abort', ACTIVE_ROLLOUT_STATES, async (tx, rollout) => {
      const why = reason || 'aborted by an operator';
      await this.restore(tx, model, rollout, principal.subject, why);
      return { event: await this.record(tx, rollout, { type: 'rollout.aborted', state: 'aborted', reason: why, actor: principal.subject }), deploymentChanged: true };
    });
  }

  /** The rollouts a driver should look at now. */
  async activeIds(): Promise<string[]> {
    const rows = await this.db.getRepository(RolloutEntity).find({ where: { state: In([...ACTIVE_ROLLOUT_STATES]) }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /**
   * One look at an active rollout: judge its step on the traffic since the step began, then
   * roll back, advance, finish, or hold. A rollout another registry is looking at right now is
   * skipped (SKIP LOCKED) once the model's lock is had; what the other decided is read fresh.
   */
  async evaluate(id: string): Promise<void> {
    const announcement = await this.db.transaction(async (tx): Promise<Announcement | null> => {
      // One lock order everywhere: the model's, then the rollout's, as an operator's pause, resume
      // or abort takes them. Taken the other way round here, the two deadlocked, and Postgres
      // aborted one of them: now and then a 500 to the operator.
      const target = await tx.getRepository(RolloutEntity).findOne({ where: { id, state: In([...ACTIVE_ROLLOUT_STATES]) }, select: { id: true, modelId: true } });
      if (!target) return null;
      await this.catalog.lock(tx, target.modelId);
      const rollout = await tx
        .getRepository(RolloutEntity)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .where({ id, state: In([...ACTIVE_ROLLOUT_STATES]) })
        .getOne();
      if (!rollout) return null;
      const model = await this.catalog.modelById(rollout.modelId, tx);
      const actor = `rollout:${rollout.id}`;
      const current = await this.catalog.deployment(model.id, tx);
      if ((current?.revision ?? null) !== rollout.deploymentRevision) {
        // Someone changed the deployment by hand: their change stands, the rollout stops touching it.
        const reason = `the deployment was changed outside the rollout (revision ${current?.revision ?? 'removed'}); the rollout stops and leaves it as it is`;
        return { model, actor, deploymentChanged: false, events: [await this.record(tx, rollout, { type: 'rollout.aborted', state: 'aborted', reason, actor })] };
      }
      const seen = await this.observe(tx, rollout);
      const verdict = this.judge(rollout, seen);
      if (verdict.action === 'hold') return null;
      if (verdict.action === 'rollback') {
        await this.restore(tx, model, rollout, actor, verdict.reason);
        this.logger.warn({ tenant: model.tenantId, model: model.name, rollout: rollout.id, reason: verdict.reason }, 'rollout rolled back');
        return { model, actor, deploymentChanged: true, events: [await this.record(tx, rollout, { type: 'rollout.rolled_back', state: 'rolled_back', reason: verdict.reason, actor, metrics: seen })] };
      }
      if (rollout.step === rollout.plan.steps.length - 1) {
        const written = await this.deployments.apply(tx, model, promotedSpec(current!.spec, rollout.canaryVersion), {
          actor,
          reason: `rollout ${rollout.id}: version ${rollout.canaryVersion} promoted`,
        });
        rollout.deploymentRevision = written.revision;
        this.logger.log({ tenant: model.tenantId, model: model.name, rollout: rollout.id }, 'rollout succeeded');
        return { model, actor, deploymentChanged: true, events: [await this.record(tx, rollout, { type: 'rollout.succeeded', state: 'succeeded', reason: verdict.reason, actor, metrics: seen })] };
      }
      rollout.step += 1;
      rollout.stepStartedAt = new Date();
      const weight = rollout.plan.steps[rollout.step];
      const written = await this.deployments.apply(tx, model, rolloutSpec(rollout.baselineSpec, rollout.baselineVersion, rollout.canaryVersion, weight), {
        actor,
        reason: `rollout ${rollout.id}: step ${rollout.step + 1} of ${rollout.plan.steps.length}, version ${rollout.canaryVersion} at ${weight}%`,
      });
      rollout.deploymentRevision = written.revision;
      this.logger.log({ tenant: model.tenantId, model: model.name, rollout: rollout.id, step: rollout.step, weight }, 'rollout advanced');
      return { model, actor, deploymentChanged: true, events: [await this.record(tx, rollout, { type: 'rollout.step', state: 'progressing', reason: verdict.reason, actor, metrics: seen })] };
    });
    if (announcement) await this.announce(announcement);
  }

  /** The version all traffic is on before the rollout: the one weighted target, or the production version. */
  private async baselineOf(tx: EntityManager, model: ModelEntity, targets: { version: number; weight: number }[] | undefined): Promise<number> {
    if (targets) {
      const live = targets.filter((t) => t.weight > 0);
      if (live.length !== 1)
        throw RolloutsError.noBaseline(model.name, `its deployment splits traffic between versions ${live.map((t) => t.version).join(', ')}; a rollout starts from one version taking all of it`);
      return live[0].version;
    }
    const production = await this.catalog.productionVersions(model.id, tx);
    if (production.length !== 1) throw RolloutsError.noBaseline(model.name, 'it has no production version to roll out from');
    return production[0];
  }

  /** The current step judged on what was observed of it. */
  private judge(rollout: RolloutEntity, seen: Observed): Verdict {
    return judgeStep(rollout.plan, { ...seen, step: rollout.step, elapsedMs: Date.now() - rollout.stepStartedAt.getTime(), paused: rollout.state === 'paused' });
  }

  /** The step's live traffic from the audit log, and where the workers stand with the canary. */
  private async observe(tx: EntityManager, rollout: RolloutEntity): Promise<Observed> {
    const byVersion = await this.metrics.read(tx, rollout.tenantId, rollout.model, [rollout.canaryVersion, rollout.baselineVersion], rollout.stepStartedAt);
    const load = versionLoadState(await this.heartbeats.live(), rollout.tenantId, rollout.model, rollout.canaryVersion);
    const failed = load.pools.flatMap((p) => p.workers).find((w) => w.state === 'failed');
    return {
      canary: byVersion.get(rollout.canaryVersion)!,
      baseline: byVersion.get(rollout.baselineVersion)!,
      canaryLoad: { state: load.state, ...(failed?.reason ? { reason: failed.reason } : {}) },
    };
  }

  /** Puts the deployment back as it was before the rollout (no deployment, if there was none). */
  private async restore(tx: EntityManager, model: ModelEntity, rollout: RolloutEntity, actor: string, why: string): Promise<void> {
    const change = { actor, reason: `rollout ${rollout.id} rolled back: ${why}` };
    if (rollout.baselineSpec) await this.deployments.apply(tx, model, rollout.baselineSpec, change);
    else await this.deployments.removeIn(tx, model, rollout.baselineVersion, change);
  }

  private async operate(
    model: ModelEntity,
    id: string,
    action: string,
    from: readonly RolloutState[],
    change: (tx: EntityManager, rollout: RolloutEntity) => Promise<{ event: RolloutEvent; deploymentChanged: boolean }>,
  ): Promise<RolloutEntity> {
    const { rollout, announcement } = await this.catalog.changeModel(model.id, async (tx) => {
      const found = await this.find(tx, model, id, true);
      if (!from.includes(found.state)) throw RolloutsError.notIn(id, found.state, action);
      const { event, deploymentChanged } = await change(tx, found);
      return { rollout: found, announcement: { model, events: [event], deploymentChanged, actor: event.actor } };
    });
    await this.announce(announcement);
    return rollout;
  }

  private async find(tx: EntityManager, model: ModelEntity, id: string, lock = false): Promise<RolloutEntity> {
    // Not a uuid: no such rollout (a 404), never a database error.
    const uuid = z.uuid().safeParse(id).success;
    const query = tx.getRepository(RolloutEntity).createQueryBuilder('r').where({ id, modelId: model.id });
    const found = uuid ? await (lock ? query.setLock('pessimistic_write') : query).getOne() : null;
    if (!found) throw RolloutsError.notFound(model.name, id);
    return found;
  }

  /** Saves the rollout's new state and appends its event (the row that Kafka will also carry). */
  private async record(tx: EntityManager, rollout: RolloutEntity, change: Change): Promise<RolloutEvent> {
    const occurredAt = new Date();
    rollout.state = change.state;
    rollout.reason = change.reason;
    if (!ACTIVE_ROLLOUT_STATES.includes(change.state)) rollout.finishedAt = occurredAt;
    await tx.getRepository(RolloutEntity).save(rollout);
    const canaryWeight = canaryWeightOf(rollout);
    const row = {
      rolloutId: rollout.id,
      type: change.type,
      step: rollout.step,
      canaryWeight,
      canary: change.metrics?.canary ?? null,
      baseline: change.metrics?.baseline ?? null,
      reason: change.reason,
      actor: change.actor,
      occurredAt,
    };
    await tx.getRepository(RolloutEventEntity).insert(row);
    return {
      type: change.type,
      rolloutId: rollout.id,
      tenantId: rollout.tenantId,
      model: rollout.model,
      baselineVersion: rollout.baselineVersion,
      canaryVersion: rollout.canaryVersion,
      state: change.state,
      step: rollout.step,
      canaryWeight,
      canary: row.canary,
      baseline: row.baseline,
      reason: change.reason,
      actor: change.actor,
      occurredAt: occurredAt.toISOString(),
    };
  }

  /**
   * Publishes what a committed change did. Postgres is the record: a publish lost to a Kafka
   * outage is logged, and the model's lifecycle state is republished at the registry's next boot.
   */
  private async announce({ model, events, deploymentChanged, actor }: Announcement): Promise<void> {
    try {
      if (deploymentChanged) await this.deployments.published(model, actor);
      await this.publisher.publishMany(events.map((value) => ({ key: `${model.tenantId}/${model.name}`, value, headers: { 'event-type': value.type } })));
    } catch (error) {
      this.logger.error({ model: model.name, error: (error as Error).message }, 'rollout change committed but not published');
    }
  }
}

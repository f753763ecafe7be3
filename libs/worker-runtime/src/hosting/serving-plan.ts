import { Logger } from '@nestjs/common';
import { commandVersion, hostingRefusal, servingDeployment, type ModelCommand, type ModelLifecycleEvent, type ServingVersion } from '@falaj/contracts';

/**
 * The serving plan (Triton's explicit model control, KServe's TrainedModel set): which versions
 * this worker should hold, from the lifecycle topic and operators' commands. It says what should
 * be loaded and hands that to the host, which loads, keeps or releases to match. The rules are
 * pure (lifecycleVersions, desiredVersions, servedVersions, leavesPlan); ServingPlan keeps the
 * state and orders the changes.
 */

/** What the plan asks the host: exactly these versions of a model (one, several, or none for null). */
export interface PlannedHost {
  serve(tenantId: string, model: string, serving: ServingVersion | readonly ServingVersion[] | null): Promise<void>;
}

/** The versions the lifecycle asks a worker to hold: what the model serves (servingDeployment), its targets and shadow. */
export function lifecycleVersions(event: ModelLifecycleEvent): ServingVersion[] {
  const deployment = servingDeployment(event);
  if (!deployment) return [];
  const targets = deployment.targets.map(({ weight: _weight, ...version }) => version);
  return deployment.shadow ? [...targets, deployment.shadow] : targets;
}

export type VersionOverride = { command: 'load'; serving: ServingVersion } | { command: 'unload' };

/** The versions to hold: the lifecycle's, plus those operators loaded, minus those they unloaded. */
export function desiredVersions(lifecycle: readonly ServingVersion[], overrides: ReadonlyMap<number, VersionOverride>): ServingVersion[] {
  const byVersion = new Map<number, ServingVersion>();
  for (const v of lifecycle) byVersion.set(v.version, v);
  for (const [version, o] of overrides) {
    if (o.command === 'load' && !byVersion.has(version)) byVersion.set(version, o.serving);
    if (o.command === 'unload') byVersion.delete(version);
  }
  return [...byVersion.values()];
}

/** What a `serve` call names, as a list: a deployment may split traffic over several, or keep a shadow beside them. */
export function servedVersions(serving: ServingVersion | readonly ServingVersion[] | null): readonly ServingVersion[] {
  return serving === null ? [] : 'version' in serving ? [serving] : serving;
}

/** Whether a hosted version (`key`, of `held`'s tenant and model) is one of this model's that the plan no longer keeps. */
export function leavesPlan(held: { tenantId: string; model: string }, key: string, tenantId: string, model: string, keep: ReadonlySet<string>): boolean {
  return held.tenantId === tenantId && held.model === model && !keep.has(key);
}

/**
 * What one worker serves per model: what the lifecycle asks for, plus the versions operators
 * explicitly loaded, minus those they explicitly unloaded (Triton's explicit model control) —
 * and nothing of a tenant whose regions (the event's `regions`) do not include the worker's:
 * a tenant's weights are held only in pools of its regions. Changes to one model are applied
 * one after another, so two never race in the host.
 */
export class ServingPlan {
  private readonly logger = new Logger(ServingPlan.name);
  private readonly lifecycle = new Map<string, ServingVersion[]>();
  private readonly overrides = new Map<string, Map<number, VersionOverride>>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly host: PlannedHost,
    /** The worker's region; undefined: no region rule (a test host). */
    private readonly region?: string,
  ) {}

  setLifecycle(tenantId: string, model: string, versions: ServingVersion[], deleted = false, regions?: readonly string[]): Promise<void> {
    const key = `${tenantId}/${model}`;
    const refusal = this.refusal(tenantId, regions);
    // Held elsewhere: this worker keeps none of the model's versions (and drops those it had).
    this.lifecycle.set(key, refusal === null ? versions : []);
    if (refusal !== null && versions.length > 0) this.logger.log({ tenant: tenantId, model, region: this.region, reason: refusal }, 'not hosting the model here');
    if (deleted) this.overrides.delete(key);
    return this.apply(tenantId, model);
  }

  /** Applies an operator's command; a load of a tenant's version outside its regions is refused (false) and changes nothing. */
  override(command: ModelCommand): Promise<boolean> {
    const refusal = command.command === 'load' ? this.refusal(command.tenantId, command.regions) : null;
    if (refusal !== null) {
      this.logger.warn({ tenant: command.tenantId, model: command.model, version: commandVersion(command), region: this.region, reason: refusal }, 'refused a load command');
      return Promise.resolve(false);
    }
    return this.apply(command.tenantId, command.model, command).then(() => true);
  }

  private refusal(tenantId: string, regions: readonly string[] | undefined): string | null {
    return this.region === undefined ? null : hostingRefusal(tenantId, regions, this.region);
  }

  private record(command: ModelCommand): void {
    const key = `${command.tenantId}/${command.model}`;
    const overrides = this.overrides.get(key) ?? new Map<number, VersionOverride>();
    const version = commandVersion(command);
    if (command.command === 'load') overrides.set(version, { command: 'load', serving: command.serving });
    else if (command.command === 'unload') overrides.set(version, { command: 'unload' });
    else overrides.delete(version);
    this.overrides.set(key, overrides);
  }

  /** Resolves once every change handed to the host so far has been applied (loaded and warmed, or failed). */
  async settled(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /** The versions to hold for a model now. */
  desired(tenantId: string, model: string): ServingVersion[] {
    const key = `${tenantId}/${model}`;
    return desiredVersions(this.lifecycle.get(key) ?? [], this.overrides.get(key) ?? new Map<number, VersionOverride>());
  }

  private apply(tenantId: string, model: string, command?: ModelCommand): Promise<void> {
    const key = `${tenantId}/${model}`;
    if (command) this.record(command);
    const next = (this.queues.get(key) ?? Promise.resolve()).then(() => this.host.serve(tenantId, model, this.desired(tenantId, model)));
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }
}

/**
 * Whether a loaded version's sessions still fit what the plan asks: the same artifact and the
 * same serving settings (instances, batching, threads, optimisation, arena). A deployment that
 * changes them has the version loaded anew, as Triton reloads a model whose config changed.
 */
export function sameServing(loaded: ServingVersion, wanted: ServingVersion): boolean {
  return loaded.artifact.sha256 === wanted.artifact.sha256 && canonical(loaded.serving) === canonical(wanted.serving);
}

/** Settings as a string that ignores key order and keys left undefined. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

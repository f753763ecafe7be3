import type { LimitName, ModelStage, ServingSettings } from '@falaj/contracts';
import type { DeploymentSpec } from '../catalog';

/**
 * What is wrong with a resolved spec given the model's versions and their stages, or [] when
 * nothing is: every version must exist and not be archived (archived versions never serve), a
 * version appears once among the targets, and the shadow is not also a target.
 */
export function deploymentProblems(spec: DeploymentSpec, stages: ReadonlyMap<number, ModelStage>): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const { version } of spec.targets) {
    if (seen.has(version)) problems.push(`version ${version} is listed twice`);
    seen.add(version);
  }
  const named = spec.shadow === null ? [...seen] : [...seen, spec.shadow];
  for (const version of new Set(named)) {
    const stage = stages.get(version);
    if (stage === undefined) problems.push(`version ${version} does not exist`);
    else if (stage === 'archived') problems.push(`version ${version} is archived; archived versions never serve`);
  }
  if (spec.shadow !== null && seen.has(spec.shadow)) problems.push(`shadow version ${spec.shadow} is also a target`);
  const sum = spec.targets.reduce((total, t) => total + t.weight, 0);
  if (sum !== 100) problems.push(`weights sum to ${sum}, not 100`);
  return problems;
}

/** The platform's ceilings on what one deployment may ask of the shared workers. */
export interface ServingMaxima {
  instanceCount: number;
  intraOpThreads: number;
}

/**
 * What in a deployment's serving settings is over the platform's maxima (FALAJ_MAX_INSTANCE_COUNT,
 * FALAJ_MAX_INTRA_OP_THREADS), or []: workers are shared, and one tenant's 64 sessions of 256
 * threads each would take a worker from everyone else.
 */
export function servingLimitProblems(serving: ServingSettings, maxima: ServingMaxima): string[] {
  const problems: string[] = [];
  if (serving.instanceCount !== undefined && serving.instanceCount > maxima.instanceCount) {
    problems.push(`instanceCount ${serving.instanceCount} is over the platform maximum of ${maxima.instanceCount} (FALAJ_MAX_INSTANCE_COUNT)`);
  }
  if (serving.intraOpThreads !== undefined && serving.intraOpThreads > maxima.intraOpThreads) {
    problems.push(`intraOpThreads ${serving.intraOpThreads} is over the platform maximum of ${maxima.intraOpThreads} (FALAJ_MAX_INTRA_OP_THREADS)`);
  }
  return problems;
}

/** The first platform limit the settings cross (instances before threads), as `falaj_limit_refusals_total` names it. */
export function servingLimitOf(serving: ServingSettings, maxima: ServingMaxima): LimitName | undefined {
  if (serving.instanceCount !== undefined && serving.instanceCount > maxima.instanceCount) return 'deployment_instances';
  if (serving.intraOpThreads !== undefined && serving.intraOpThreads > maxima.intraOpThreads) return 'deployment_threads';
  return undefined;
}

/** The versions a spec serves live traffic with: in `production` while the spec stands. */
export const servedVersions = (spec: DeploymentSpec): number[] => spec.targets.map((t) => t.version);

/** Every version the spec keeps loaded: targets and shadow. */
export const referencedVersions = (spec: DeploymentSpec): number[] => (spec.shadow === null ? servedVersions(spec) : [...servedVersions(spec), spec.shadow]);

/** The version that stands for the deployment where one must: the heaviest target (first on ties). */
export function primaryVersion(spec: DeploymentSpec): number {
  return spec.targets.reduce((best, t) => (t.weight > best.weight ? t : best)).version;
}

/**
 * The spec after `version` is promoted to production on its own: it takes all the traffic and
 * every other setting stays (a shadow that is the promoted version is dropped).
 */
export function promotedSpec(spec: DeploymentSpec, version: number): DeploymentSpec {
  return { ...spec, targets: [{ version, weight: 100 }], shadow: spec.shadow === version ? null : spec.shadow };
}

/** Whether the spec already sends all live traffic to `version`. */
export const servesAlone = (spec: DeploymentSpec, version: number): boolean => spec.targets.length === 1 && spec.targets[0].version === version;

/**
 * Blue-green: every request goes to `version`, and the version that carried the traffic until
 * now stays loaded as a weight-0 standby, so switching back is one more route change with no
 * model to load. Shadow and serving settings stay.
 */
export function switchedSpec(spec: DeploymentSpec, version: number): DeploymentSpec {
  const from = primaryVersion(spec);
  const targets =
    from === version
      ? [{ version, weight: 100 }]
      : [
          { version, weight: 100 },
          { version: from, weight: 0 },
        ];
  return { ...spec, targets, shadow: spec.shadow === version ? null : spec.shadow };
}

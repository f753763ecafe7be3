export interface DeploymentView {
  model: string;
  revision: number;
  targets: { version: number; weight: number }[];
  shadow: number | null;
  shadowPercent: number;
  hardware: string;
  serving: Record<string, unknown>;
  slaP95Ms: number | null;
  regions: string[];
  updatedBy?: string;
  updatedAt?: string;
}

/** The split as a person reads it: v1 90 % · v2 10 %. */
export function splitOf(targets: { version: number; weight: number }[]): string {
  return targets.map((t) => `v${t.version} ${t.weight} %`).join(' · ');
}

/**
 * The body of a PUT that changes only the targets: every other setting the deployment has
 * (hardware, serving, SLA, regions, shadow) is carried over, since a PUT replaces the whole spec.
 */
export function withTargets(current: DeploymentView | undefined, targets: { version: number; weight: number }[], reason: string): Record<string, unknown> {
  if (!current) return { targets, reason };
  return {
    targets,
    shadow: current.shadow,
    shadowPercent: current.shadowPercent,
    hardware: current.hardware,
    ...current.serving,
    slaP95Ms: current.slaP95Ms,
    regions: current.regions,
    reason,
  };
}

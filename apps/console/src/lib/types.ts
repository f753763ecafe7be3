export interface ModelView {
  name: string;
  description?: string | null;
  createdAt?: string;
}

export interface VersionView {
  model: string;
  version: number;
  stage: string;
  aliases?: string[];
  sha256: string;
  sizeBytes: number;
  opset?: number;
  parameterCount?: number;
  signature?: { inputs?: { name: string; datatype: string; shape: number[] }[]; outputs?: { name: string; datatype: string; shape: number[] }[] };
  createdAt?: string;
}

export interface Target {
  version: number;
  weight: number;
}

export interface DeploymentView {
  model: string;
  revision: number;
  targets: Target[];
  shadow: number | null;
  shadowPercent: number;
  hardware: string;
  serving: Record<string, unknown>;
  slaP95Ms: number | null;
  regions: string[];
}

interface Metrics {
  requests: number;
  errors: number;
  errorRate: number;
  p95Ms: number | null;
}

export interface RolloutView {
  id: string;
  model: string;
  baselineVersion: number;
  canaryVersion: number;
  state: string;
  step: number;
  canaryWeight: number;
  steps: number[];
  reason: string;
  createdAt: string;
  finishedAt: string | null;
  analysis?: { maxErrorRate: number; maxP95Ms?: number | null; maxP95Ratio: number | null; minRequests: number };
  live?: { canary: Metrics; baseline: Metrics; verdict: { action: string; reason: string } } | null;
  events?: { type: string; step: number; canaryWeight: number; reason: string; occurredAt: string }[];
}

export interface JobView {
  id: string;
  model: string;
  version: number;
  state: string;
  total: number;
  processed: number;
  failed: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  etaSeconds: number | null;
}

/** `GET /admin/models/:name/versions/:version/status`: the version's own load, queue and batch sizes. */
export interface VersionStatus {
  version: number;
  state: string;
  pools: { pool: string; state: string; queueDepth: number; workers: { workerId: string; state: string; executionProvider?: string; reason?: string }[] }[];
  batchSizes: Record<string, number>;
}

export const ROLLOUT_ACTIVE = ['progressing', 'paused'];
export const JOB_FINISHED = ['completed', 'failed', 'cancelled'];

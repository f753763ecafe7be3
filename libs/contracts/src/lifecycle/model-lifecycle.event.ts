import { z } from 'zod';
import { ModelSignatureSchema } from '../models/model-signature';

/** Compacted topic, keyed by `tenantId/model`: the latest event of a key is that model's state. */
export const modelLifecycleTopic = (prefix: string): string => `${prefix}.model.lifecycle.v1`;
export const modelLifecycleKey = (tenantId: string, model: string): string => `${tenantId}/${model}`;

export const MODEL_STAGES = ['draft', 'staging', 'production', 'archived'] as const;
export const ModelStageSchema = z.enum(MODEL_STAGES);
export type ModelStage = z.infer<typeof ModelStageSchema>;

/** What a worker needs to serve a version: where its bytes are and what they must hash to. */
export const ArtifactRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().positive(),
  /** Path on the registry's HTTP API; workers fetch it with their service token. */
  downloadPath: z.string().startsWith('/'),
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/**
 * How workers run a version: Triton-style dynamic batching and instance settings. Filled from the
 * model's deployment spec by the registry; every field optional, the worker applies its defaults.
 */
export const ServingSettingsSchema = z.object({
  batching: z
    .object({
      enabled: z.boolean(),
      maxBatchSize: z.number().int().min(1).max(4096),
      maxQueueDelayMicros: z.number().int().min(0).max(10_000_000),
      preferredBatchSizes: z.array(z.number().int().min(1)).max(16),
    })
    .partial()
    .optional(),
  instanceCount: z.number().int().min(1).max(64).optional(),
  intraOpThreads: z.number().int().min(0).max(256).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  enableMemoryArena: z.boolean().optional(),
});
export type ServingSettings = z.infer<typeof ServingSettingsSchema>;

export const ServingVersionSchema = z.object({
  version: z.number().int().positive(),
  artifact: ArtifactRefSchema,
  signature: ModelSignatureSchema,
  serving: ServingSettingsSchema.optional(),
});
export type ServingVersion = z.infer<typeof ServingVersionSchema>;

export const HARDWARE_POLICIES = ['cpu', 'gpu', 'auto'] as const;
export const HardwarePolicySchema = z.enum(HARDWARE_POLICIES);
export type HardwarePolicy = z.infer<typeof HardwarePolicySchema>;

/** A version a deployment sends traffic to: the version to load, and its share (0–100). */
export const DeploymentTargetSchema = ServingVersionSchema.extend({ weight: z.number().int().min(0).max(100) });
export type DeploymentTarget = z.infer<typeof DeploymentTargetSchema>;

/**
 * A model's deployment as the router and the workers need it: every served version with its
 * artifact, signature, serving settings and weight (weights sum to 100), the shadow version,
 * and where it may run.
 */
export const DeploymentStateSchema = z.object({
  /** The registry's deployment revision; 1 for an implicit deployment, which has no revisions. */
  revision: z.number().int().positive(),
  targets: z.array(DeploymentTargetSchema).min(1),
  shadow: ServingVersionSchema.nullable(),
  /** Share of live requests mirrored to the shadow, in percent (absent: all). */
  shadowPercent: z.number().int().min(0).max(100).optional(),
  hardware: HardwarePolicySchema,
  /** Residency regions the deployment may run in; empty = the tenant's residency. */
  regions: z.array(z.string().min(1)),
  /** Target p95 latency in milliseconds, when the deployment sets one. */
  slaP95Ms: z.number().int().positive().nullable(),
  /**
   * Set on the deployment a model has without one of its own (servingDeployment): its production
   * version alone. Its route carries no deployment policy, as production routes never did.
   */
  implicit: z.literal(true).optional(),
});
export type DeploymentState = z.infer<typeof DeploymentStateSchema>;

/**
 * A model's lifecycle event. Each one carries the model's whole serving state (`deployment`),
 * not just the change, so compaction can drop every older event of the key and a consumer that
 * reads the topic from the start rebuilds the current state.
 */
export const ModelLifecycleEventSchema = z.object({
  type: z.enum([
    'model.created',
    'version.registered',
    'version.stage-changed',
    'model.deleted',
    // Added with deployments; consumers act on `production`/`deployment`, not on the type.
    'deployment.changed',
  ]),
  tenantId: z.string().min(1),
  model: z.string().min(1),
  /** The version the event is about, where it is about one. */
  version: z.number().int().positive().nullable(),
  stage: ModelStageSchema.nullable(),
  /** The version serving production after this event, or null when none does. */
  production: ServingVersionSchema.nullable(),
  /**
   * What the model serves (read it through servingDeployment, never directly): which versions,
   * with what weights, where. The registry always sets it for a model that serves, the implicit
   * deployment of its production version when it has no deployment of its own; events written
   * before then may lack it.
   */
  deployment: DeploymentStateSchema.optional(),
  /**
   * The regions whose workers may hold the model's versions (hostingRegions: the tenant's
   * residency within the deployment's regions); a worker of another region holds none of them.
   * Absent: any region (a tenant without residency, or an event from before this field).
   */
  regions: z.array(z.string().min(1)).optional(),
  actor: z.string().min(1),
  occurredAt: z.iso.datetime(),
});
export type ModelLifecycleEvent = z.infer<typeof ModelLifecycleEventSchema>;

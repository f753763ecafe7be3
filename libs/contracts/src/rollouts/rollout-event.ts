import { z } from 'zod';

/** Every step of every progressive rollout, keyed by `tenantId/model` (so one model's steps stay in order). */
export const rolloutTopic = (prefix: string): string => `${prefix}.rollouts.v1`;

export const ROLLOUT_STATES = ['progressing', 'paused', 'succeeded', 'rolled_back', 'aborted'] as const;
export const RolloutStateSchema = z.enum(ROLLOUT_STATES);
export type RolloutState = z.infer<typeof RolloutStateSchema>;

/** A rollout that still moves traffic (or may again): at most one per model. */
export const ACTIVE_ROLLOUT_STATES: readonly RolloutState[] = ['progressing', 'paused'];

/** What live traffic said of one version over an analysis window (from the audit log). */
export const VersionMetricsSchema = z.object({
  requests: z.number().int().nonnegative(),
  /** Answers with a 5xx status: the server's failures, not the callers' bad requests. */
  errors: z.number().int().nonnegative(),
  errorRate: z.number().min(0).max(1),
  p95Ms: z.number().nonnegative().nullable(),
});
export type VersionMetrics = z.infer<typeof VersionMetricsSchema>;

export const ROLLOUT_EVENT_TYPES = ['rollout.started', 'rollout.step', 'rollout.paused', 'rollout.resumed', 'rollout.succeeded', 'rollout.rolled_back', 'rollout.aborted'] as const;

export const RolloutEventSchema = z.object({
  type: z.enum(ROLLOUT_EVENT_TYPES),
  rolloutId: z.uuid(),
  tenantId: z.string().min(1),
  model: z.string().min(1),
  baselineVersion: z.number().int().positive(),
  canaryVersion: z.number().int().positive(),
  state: RolloutStateSchema,
  /** Index into the plan's steps, and the canary's share of traffic after this event. */
  step: z.number().int().nonnegative(),
  canaryWeight: z.number().int().min(0).max(100),
  /** The analysis that decided this event, where one did. */
  canary: VersionMetricsSchema.nullable(),
  baseline: VersionMetricsSchema.nullable(),
  reason: z.string(),
  actor: z.string().min(1),
  occurredAt: z.iso.datetime(),
});
export type RolloutEvent = z.infer<typeof RolloutEventSchema>;

import { z } from 'zod';
import { VersionRefSchema } from '../aliases/version-ref';

const MAX_PAUSE_SECONDS = 7 * 24 * 3600;

/**
 * What a caller writes to start a progressive rollout (Argo Rollouts-like): the canary, its
 * traffic steps, how long each step holds, and the analysis that must pass before the next.
 */
export const RolloutInputSchema = z
  .object({
    canary: VersionRefSchema,
    /** The canary's share of traffic at each step, in percent: rising, ending at 100. */
    steps: z.array(z.number().int().min(1).max(100)).min(1).max(20).default([5, 25, 50, 100]),
    /** How long each step holds before it may advance: one value for all, or one per step. */
    pauseSeconds: z.union([z.number().int().min(0).max(MAX_PAUSE_SECONDS), z.array(z.number().int().min(0).max(MAX_PAUSE_SECONDS)).min(1).max(20)]).default(60),
    analysis: z
      .object({
        /** Highest share of 5xx answers the canary may give over a step. */
        maxErrorRate: z.number().min(0).max(1).default(0.01),
        /** Highest canary p95 latency (ms) over a step; the deployment's SLA when left out. */
        maxP95Ms: z.number().positive().max(600_000).nullable().optional(),
        /** Highest canary p95 as a multiple of the baseline's, measured over the same window. */
        maxP95Ratio: z.number().min(1).max(1000).nullable().default(null),
        /** Canary requests a step must see before it is judged at all (and before it may advance). */
        minRequests: z.number().int().min(1).max(1_000_000).default(20),
      })
      .strict()
      .default({ maxErrorRate: 0.01, maxP95Ratio: null, minRequests: 20 }),
    reason: z.string().max(1000).default(''),
  })
  .strict()
  .superRefine((input, ctx) => {
    const { steps, pauseSeconds } = input;
    if (steps.some((step, i) => i > 0 && step <= steps[i - 1])) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'steps must rise' });
    if (steps.at(-1) !== 100) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100' });
    if (Array.isArray(pauseSeconds) && pauseSeconds.length !== steps.length) {
      ctx.addIssue({ code: 'custom', path: ['pauseSeconds'], message: `one pause per step: ${steps.length} steps, ${pauseSeconds.length} pauses` });
    }
  });
export type RolloutInput = z.infer<typeof RolloutInputSchema>;

/** The analysis as stored: every threshold resolved (the SLA filled in). */
export interface RolloutAnalysis {
  maxErrorRate: number;
  maxP95Ms: number | null;
  maxP95Ratio: number | null;
  minRequests: number;
}

/** The plan as stored. */
export interface RolloutPlan {
  steps: number[];
  pauseSeconds: number[];
  analysis: RolloutAnalysis;
}

/** The stored plan of an input, given the deployment's SLA (p95 ms, or null). */
export function planOf(input: RolloutInput, slaP95Ms: number | null): RolloutPlan {
  const { steps, pauseSeconds, analysis } = input;
  return {
    steps,
    pauseSeconds: Array.isArray(pauseSeconds) ? pauseSeconds : steps.map(() => pauseSeconds),
    analysis: {
      maxErrorRate: analysis.maxErrorRate,
      maxP95Ms: analysis.maxP95Ms === undefined ? slaP95Ms : analysis.maxP95Ms,
      maxP95Ratio: analysis.maxP95Ratio,
      minRequests: analysis.minRequests,
    },
  };
}

export const RolloutActionInputSchema = z
  .object({ reason: z.string().max(1000).default('') })
  .strict()
  .default({ reason: '' });
export type RolloutActionInput = z.infer<typeof RolloutActionInputSchema>;

import { z } from 'zod';
import { HardwarePolicySchema, RegionSchema, ServingSettingsSchema, type ServingSettings } from '@falaj/contracts';
import { VersionRefSchema } from '../aliases/version-ref';

const servingFields = ServingSettingsSchema.shape;

/**
 * A model's deployment as a caller writes it (KServe InferenceService-like): versions may be
 * named by number or alias; the registry resolves them to numbers before it stores the spec.
 */
export const DeploymentInputSchema = z
  .object({
    targets: z
      .array(z.object({ version: VersionRefSchema, weight: z.number().int().min(0).max(100) }))
      .min(1)
      .max(16),
    shadow: VersionRefSchema.nullable().default(null),
    /** Share of requests mirrored to the shadow, in percent. */
    shadowPercent: z.number().int().min(0).max(100).default(100),
    hardware: HardwarePolicySchema.default('cpu'),
    batching: servingFields.batching,
    instanceCount: servingFields.instanceCount,
    intraOpThreads: servingFields.intraOpThreads,
    graphOptimizationLevel: servingFields.graphOptimizationLevel,
    enableMemoryArena: servingFields.enableMemoryArena,
    slaP95Ms: z.number().int().positive().max(600_000).nullable().default(null),
    regions: z.array(RegionSchema).max(16).default([]),
    reason: z.string().max(1000).default(''),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const sum = spec.targets.reduce((total, t) => total + t.weight, 0);
    if (sum !== 100) ctx.addIssue({ code: 'custom', path: ['targets'], message: `weights sum to ${sum}, not 100` });
  });
export type DeploymentInput = z.infer<typeof DeploymentInputSchema>;

/** The serving settings of an input, without the keys the caller left out. */
export function servingSettingsOf(input: DeploymentInput): ServingSettings {
  const settings: ServingSettings = {};
  if (input.batching !== undefined) settings.batching = input.batching;
  if (input.instanceCount !== undefined) settings.instanceCount = input.instanceCount;
  if (input.intraOpThreads !== undefined) settings.intraOpThreads = input.intraOpThreads;
  if (input.graphOptimizationLevel !== undefined) settings.graphOptimizationLevel = input.graphOptimizationLevel;
  if (input.enableMemoryArena !== undefined) settings.enableMemoryArena = input.enableMemoryArena;
  return settings;
}

/** A blue-green switch: all traffic to `version` (a number or alias). */
export const SwitchInputSchema = z.object({ version: VersionRefSchema, reason: z.string().max(1000).default('') }).strict();
export type SwitchInput = z.infer<typeof SwitchInputSchema>;

export const SwitchBackInputSchema = z
  .object({ reason: z.string().max(1000).default('') })
  .strict()
  .default({ reason: '' });
export type SwitchBackInput = z.infer<typeof SwitchBackInputSchema>;

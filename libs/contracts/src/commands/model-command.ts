import { z } from 'zod';
import { ServingVersionSchema } from '../lifecycle/model-lifecycle.event';

/**
 * Operators' explicit load and unload of a version (Triton's model-control API), compacted and
 * keyed by `tenantId/model@version`: the latest command of a key is that version's override, so
 * a worker that starts later replays the overrides still in force.
 */
export const modelCommandsTopic = (prefix: string): string => `${prefix}.model.commands.v1`;
export const modelCommandKey = (tenantId: string, model: string, version: number): string => `${tenantId}/${model}@${version}`;

const base = {
  tenantId: z.string().min(1),
  model: z.string().min(1),
  /** Only workers of this pool act on it; absent = every pool. */
  pool: z.string().min(1).optional(),
  /** The regions whose workers may hold the tenant's versions (as the lifecycle's); a worker elsewhere refuses a load. */
  regions: z.array(z.string().min(1)).optional(),
  actor: z.string().min(1),
  occurredAt: z.iso.datetime(),
};

export const ModelCommandSchema = z.discriminatedUnion('command', [
  /** Keep this version loaded (besides what the lifecycle asks for) until unloaded or cleared. */
  z.object({ command: z.literal('load'), serving: ServingVersionSchema, ...base }),
  /** Keep this version out of memory, even where the lifecycle would serve it. */
  z.object({ command: z.literal('unload'), version: z.number().int().positive(), ...base }),
  /** Drop the override: the lifecycle alone decides again (sent when a version is archived or deleted). */
  z.object({ command: z.literal('clear'), version: z.number().int().positive(), ...base }),
]);
export type ModelCommand = z.infer<typeof ModelCommandSchema>;

export const commandVersion = (command: ModelCommand): number => (command.command === 'load' ? command.serving.version : command.version);

import { z } from 'zod';
import { HardwarePolicySchema } from '../lifecycle/model-lifecycle.event';
import { ModelSignatureSchema } from '../models/model-signature';

/** Redis hash holding the routing table, one field per `tenantId/model`. Written by the router. */
export const routingTableKey = (prefix: string): string => `${prefix}:routing:v1`;
/** Pub/sub channel on which the router announces that the table changed. */
export const routingChangedChannel = (prefix: string): string => `${prefix}:routing:v1:changed`;

export const RouteTargetSchema = z.object({
  version: z.number().int().positive(),
  pool: z.string().min(1),
  weight: z.number().int().min(0).max(100),
});
export type RouteTarget = z.infer<typeof RouteTargetSchema>;

export const RouteEntrySchema = z.object({
  tenantId: z.string().min(1),
  model: z.string().min(1),
  targets: z.array(RouteTargetSchema).min(1),
  /** Signatures per served version, so the gateway validates without calling the registry. */
  signatures: z.record(z.string(), ModelSignatureSchema),
  /**
   * Regions the deployment may run in (empty or absent: any). A request is placed in its
   * tenant's residency region, on the target pool's hardware, only if the deployment allows it.
   */
  regions: z.array(z.string().min(1)).optional(),
  /** The version that gets a mirrored share of requests off the caller's path, and where it runs. */
  shadow: z.object({ version: z.number().int().positive(), pool: z.string().min(1), percent: z.number().int().min(0).max(100) }).optional(),
  /** The deployment's p95 latency target: requests that would miss it are shed (503). */
  slaP95Ms: z.number().int().positive().nullable().optional(),
  /**
   * The deployment's hardware policy. `auto`: the gateway places each request on the CPU or GPU
   * pool of the caller's region by measured cost, live load and the SLA (hybridPlacement), the
   * targets' pool being only nominal. Absent (routes written before it, production routes):
   * the targets' pool hardware, fixed.
   */
  hardware: HardwarePolicySchema.optional(),
  updatedAt: z.iso.datetime(),
});
export type RouteEntry = z.infer<typeof RouteEntrySchema>;

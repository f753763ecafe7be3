import type { z } from 'zod';
import type { HardwarePolicySchema, ServingSettings } from '@falaj/contracts';

/** The stored spec: versions resolved to numbers. */
export interface DeploymentSpec {
  targets: { version: number; weight: number }[];
  shadow: number | null;
  /** Absent in specs written before shadow shares: all requests. */
  shadowPercent?: number;
  hardware: z.infer<typeof HardwarePolicySchema>;
  serving: ServingSettings;
  slaP95Ms: number | null;
  regions: string[];
}

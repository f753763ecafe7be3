import { z } from 'zod';

export const HARDWARE_KINDS = ['cpu', 'gpu'] as const;
export const HardwareSchema = z.enum(HARDWARE_KINDS);
export type Hardware = z.infer<typeof HardwareSchema>;

export const RegionSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lowercase region label such as "ae"');

/** A pool is one hardware kind in one region: `cpu.ae`, `gpu.eu-west`. */
export const poolName = (hardware: Hardware, region: string): string => `${hardware}.${region}`;

export function parsePoolName(pool: string): { hardware: Hardware; region: string } | null {
  const [hardware, region, ...rest] = pool.split('.');
  const parsed = HardwareSchema.safeParse(hardware);
  if (!parsed.success || !region || rest.length > 0) return null;
  return { hardware: parsed.data, region };
}

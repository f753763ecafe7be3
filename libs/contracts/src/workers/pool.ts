import { z } from 'zod';

export const HARDWARE_KINDS = ['cpu', 'gpu'] as const;
export const HardwareSchema = z.enum(HARDWARE_KINDS);
export type Hardware = z.infer<typeof HardwareSchema>;

export const RegionSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lowercase region label such as "ae"');

/** A pool is one hardware kind in one region: `cpu.ae`, `gpu.eu-west`. */
export const poolName = (hardware: Hardware, region: string): string => `${hardware}.${region}`;

/** On the request path (placement): a plain lookup, not a schema parse. */
export function parsePoolName(pool: string): { hardware: Hardware; region: string } | null {
  const dot = pool.indexOf('.');
  const hardware = pool.slice(0, dot);
  const region = pool.slice(dot + 1);
  if (dot < 0 || !isHardware(hardware) || region === '' || region.includes('.')) return null;
  return { hardware, region };
}

const isHardware = (value: string): value is Hardware => (HARDWARE_KINDS as readonly string[]).includes(value);

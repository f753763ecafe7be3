import { z } from 'zod';
import { DEFAULT_POOL_STREAM_MAX_BYTES, DEFAULT_POOL_STREAM_MAX_ENTRIES } from '@falaj/contracts';
import type { PoolStreamLimits } from '@falaj/messaging';

/** The pool streams' budget, the same in every app that enqueues (gateway, router): spread into its env schema. */
export const poolStreamBudgetEnv = {
  /** Requests one pool stream holds, waiting or being served, across every gateway and router (503 with Retry-After beyond). */
  FALAJ_POOL_STREAM_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_POOL_STREAM_MAX_ENTRIES),
  /** Bytes of those requests' stream entries (503 with Retry-After beyond). */
  FALAJ_POOL_STREAM_MAX_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_POOL_STREAM_MAX_BYTES),
};

export function poolStreamLimits(e: { FALAJ_POOL_STREAM_MAX_ENTRIES: number; FALAJ_POOL_STREAM_MAX_BYTES: number }): PoolStreamLimits {
  return { maxEntries: e.FALAJ_POOL_STREAM_MAX_ENTRIES, maxBytes: e.FALAJ_POOL_STREAM_MAX_BYTES };
}

/**
 * Liveness: the process answers and its event loop is not wedged. A probe to a wedged loop times
 * out by itself; this catches the loop that still answers now and then but stalls for seconds
 * (a synchronous hot spot, GC thrash): its worst delay over the last window past the bound.
 */
export const EVENT_LOOP_STALL_MS = 5_000;

export interface EventLoopSample {
  /** Worst delay seen over the window, in ms. */
  maxMs: number;
  /** 99th percentile delay over the window, in ms. */
  p99Ms: number;
}

export function eventLoopAlive(sample: EventLoopSample, stallMs: number = EVENT_LOOP_STALL_MS): { alive: boolean; reason?: string } {
  if (sample.maxMs <= stallMs) return { alive: true };
  return { alive: false, reason: `the event loop stalled for ${Math.round(sample.maxMs)} ms (bound ${stallMs} ms)` };
}

/**
 * Where a version's first instance runs. onnxruntime-node runs a session synchronously on the
 * thread that calls it: an instance on the worker's JavaScript thread costs no hand-off, but while
 * it runs the worker neither reads the stream nor sends the replies other instances finished. A
 * hand-off to a worker thread costs tens of microseconds (a message each way and a copy of the
 * tensors), so a model that runs in less than that keeps its first instance inline, and a longer
 * one puts every instance on its own thread.
 *
 * `warmRunMicros` is a warm run's time on the version's first instance (the second warm-up run:
 * the first allocates the arena); undefined when no warm-up ran, which keeps the instance inline.
 */
export function firstInstanceInline(warmRunMicros: number | undefined, inlineRunMaxMicros: number): boolean {
  return warmRunMicros === undefined || warmRunMicros <= inlineRunMaxMicros;
}

/** The default of FALAJ_INLINE_RUN_MAX_MICROS: a millisecond, some twenty thread hand-offs. */
export const DEFAULT_INLINE_RUN_MAX_MICROS = 1000;

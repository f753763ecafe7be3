/** What a worker knows of its pool and its versions, as the models check reads it. */
export interface WorkerModelsView {
  /** The pool served, or null when the worker stays out of it (no GPU, say). */
  pool: string | null;
  /** Why it stays out of the pool, or has not joined it yet. */
  reason?: string;
  joined: boolean;
  /** Every version it is told to serve, and where each stands. */
  models: readonly { state: string }[];
}

export type ModelsVerdict = { ready: true; loaded: number; wanted: number } | { ready: false; reason: string; loaded: number; wanted: number };

/**
 * A worker is ready once it is in its pool, has joined it (every version it was told to serve
 * loaded and warmed: WorkerRuntime joins only then) and holds at least one loaded version. A
 * worker told to serve nothing yet (a new cluster, a new pool) is ready with none: otherwise no
 * worker Deployment could ever finish its first rollout, and a worker's readiness takes no
 * traffic from a Service anyway (it pulls from its pool's stream).
 */
export function modelsReadiness(view: WorkerModelsView): ModelsVerdict {
  const wanted = view.models.length;
  const loaded = view.models.filter((m) => m.state === 'ready').length;
  if (view.pool === null) return { ready: false, reason: view.reason ?? 'not in a pool', loaded, wanted };
  if (!view.joined) return { ready: false, reason: view.reason ?? 'not reading its pool yet', loaded, wanted };
  if (wanted > 0 && loaded === 0) return { ready: false, reason: `none of the ${wanted} version(s) it serves is loaded`, loaded, wanted };
  return { ready: true, loaded, wanted };
}

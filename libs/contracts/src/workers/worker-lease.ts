/**
 * A worker's liveness lease in its pool: a key it refreshes from a thread of its own while the
 * process lives (a long model run on its JavaScript thread does not stop it). While it exists no
 * other worker takes the entries it holds; once it lapses (the process died), they are claimed.
 */
export const workerLeaseKey = (prefix: string, pool: string, workerId: string): string => `${prefix}:pool:${pool}:lease:${workerId}`;

/** How long a lease outlives its last refresh by default; refreshed every quarter of it. */
export const DEFAULT_WORKER_LEASE_MS = 2000;

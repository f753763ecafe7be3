/** Model runs per request id, from the workers' run ledgers (FALAJ_RUN_LEDGER_FILE: `<requestId> <dispatchId> <replyTo>` a line), joined. */
export function runsPerRequest(text: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const line of text.split('\n')) {
    const requestId = line.split(' ')[0];
    if (requestId) runs.set(requestId, (runs.get(requestId) ?? 0) + 1);
  }
  return runs;
}

/** Runs beyond the first of each of `ids` (a request the workers ran twice counts 1). */
export function duplicatedRuns(ids: Iterable<string>, runs: ReadonlyMap<string, number>): number {
  let extra = 0;
  for (const id of ids) extra += Math.max(0, (runs.get(id) ?? 0) - 1);
  return extra;
}

/**
 * The runs beyond the first of each request id, by the app that dispatched each of them (the
 * reply stream's owner, `gateway-…`, `router-…`, `registry-…`): who ran a request again.
 */
export function duplicatesByDispatcher(text: string): Record<string, number> {
  const seen = new Set<string>();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [requestId, , replyTo = '?'] = line.split(' ');
    if (!requestId) continue;
    if (!seen.has(requestId)) {
      seen.add(requestId);
      continue;
    }
    const app = replyTo.split('-')[0];
    out[app] = (out[app] ?? 0) + 1;
  }
  return out;
}

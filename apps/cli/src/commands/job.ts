import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { seg, type FalajClient } from '../http-client';
import { duration, renderTable } from '../output';
import { progressBar } from '../progress';
import type { Runtime } from '../runtime';

export interface JobView {
  id: string;
  kind: string;
  model: string;
  version: number;
  state: string;
  priority: number;
  total: number;
  processed: number;
  failed: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  etaSeconds: number | null;
}

export const JOB_FINISHED = ['completed', 'failed', 'cancelled'];

export function renderJob(j: JobView): string {
  return renderTable(
    ['job', 'model', 'state', 'rows', 'failed', 'ETA'],
    [[j.id, `${j.model} v${j.version}`, j.state, `${j.processed}/${j.total}`, j.failed, JOB_FINISHED.includes(j.state) ? '-' : duration(j.etaSeconds)]],
  );
}

/** Polls the job until it ends, with a bar of rows answered (on a terminal); exit 6 unless it completed. */
export async function waitForJob(rt: Runtime, client: FalajClient, id: string, intervalMs: number): Promise<JobView> {
  let job = await client.json<JobView>('GET', `/v2/batch/jobs/${seg(id)}`, { what: `read job ${id}` });
  const bar = progressBar(`job ${id.slice(0, 8)}`, job.total, 'rows');
  try {
    while (!JOB_FINISHED.includes(job.state)) {
      // The server's ETA (from the job's own rate), not the bar's guess from poll to poll.
      bar.update(job.processed, { etaText: duration(job.etaSeconds) });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      job = await client.json<JobView>('GET', `/v2/batch/jobs/${seg(id)}`, { what: `read job ${id}` });
    }
    bar.update(job.processed, { etaText: '0 s' });
  } finally {
    bar.stop();
  }
  rt.print(job, () => renderJob(job));
  if (job.state !== 'completed') throw new CliError(`job ${id} ended ${job.state}${job.error ? `: ${job.error}` : ''}`, EXIT.unsuccessful);
  return job;
}

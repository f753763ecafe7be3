import type { Command } from 'commander';
import { seg } from '../http-client';
import type { Runtime } from '../runtime';
import { renderJob, waitForJob, type JobView } from './job';

export function registerJobsStatus(jobs: Command, rt: Runtime): void {
  jobs
    .command('status')
    .argument('<id>')
    .option('--wait', 'follow it to the end with a progress bar (exit 6 unless it completes)')
    .option('--interval <seconds>', 'how often --wait reads it', '0.5')
    .description("a job's state, rows answered and failed, and ETA")
    .action(async (id: string, options: { wait?: boolean; interval: string }) => {
      const client = rt.client();
      if (options.wait) {
        await waitForJob(rt, client, id, Math.max(100, Number(options.interval) * 1000));
        return;
      }
      const job = await client.json<JobView>('GET', `/v2/batch/jobs/${seg(id)}`, { what: `read job ${id}` });
      rt.print(job, () => renderJob(job));
    });
}

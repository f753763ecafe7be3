import type { Command } from 'commander';
import { seg } from '../http-client';
import type { Runtime } from '../runtime';
import { renderJob, type JobView } from './job';

export function registerJobsCancel(jobs: Command, rt: Runtime): void {
  jobs
    .command('cancel')
    .argument('<id>')
    .description('cancel a job: rows not yet answered are never run')
    .action(async (id: string) => {
      const job = await rt.client().json<JobView>('DELETE', `/v2/batch/jobs/${seg(id)}`, { what: `cancel job ${id}` });
      rt.print(job, () => renderJob(job));
    });
}

import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { progressBar } from '../progress';
import type { Runtime } from '../runtime';
import { renderJob, waitForJob, type JobView } from './job';

interface SubmitOptions {
  model: string;
  version?: string;
  priority?: string;
  failFast?: boolean;
  chunkSize?: string;
  wait?: boolean;
  interval: string;
}

export function registerJobsSubmit(jobs: Command, rt: Runtime): void {
  jobs
    .command('submit')
    .argument('<file>', 'NDJSON/JSONL: one OIP request or one bare row of values per line')
    .requiredOption('--model <name>')
    .option('--version <v>', 'a version number (default: what the route serves)')
    .option('--priority <n>', '1 (highest) … 1000')
    .option('--fail-fast', 'refuse the whole file if a row is bad')
    .option('--chunk-size <rows>', 'rows per chunk')
    .option('--wait', 'then follow it to the end with a progress bar (exit 6 unless it completes)')
    .option('--interval <seconds>', 'how often --wait reads it', '0.5')
    .description('submit a batch job')
    .action(async (file: string, options: SubmitOptions) => {
      let size: number;
      try {
        size = statSync(file).size;
      } catch (error) {
        throw CliError.usage(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
      }
      const client = rt.client();
      const bar = progressBar(`uploading ${basename(file)}`, size, 'bytes');
      const job = await client
        .json<JobView>('POST', '/v2/batch/jobs', {
          what: `submit ${file}`,
          query: { model: options.model, version: options.version, priority: options.priority, failFast: options.failFast ? 'true' : undefined, chunkSize: options.chunkSize },
          headers: { 'content-type': 'application/x-ndjson', 'content-length': String(size) },
          body: () => {
            let sent = 0;
            return createReadStream(file).pipe(new Transform({ transform: (chunk: Buffer, _e, done) => (bar.update((sent += chunk.length)), done(null, chunk)) }));
          },
        })
        .finally(() => bar.stop());
      if (options.wait) {
        await waitForJob(rt, client, job.id, Math.max(100, Number(options.interval) * 1000));
        return;
      }
      rt.print(job, () => `${renderJob(job)}\nfollow it: falaj jobs status ${job.id} --wait; then falaj jobs results ${job.id}`);
    });
}

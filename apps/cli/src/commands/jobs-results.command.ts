import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { seg } from '../http-client';
import { preview, renderTable } from '../output';
import type { Runtime } from '../runtime';

interface ResultRow {
  index: number;
  state: string;
  status: number | null;
  output?: { outputs?: { name: string; data: unknown }[] };
  error?: string;
}

export function registerJobsResults(jobs: Command, rt: Runtime): void {
  jobs
    .command('results')
    .argument('<id>')
    .option('-o, --output <file>', 'write the NDJSON to a file instead')
    .description("a job's answers in input order: NDJSON under --json or -o ({index,state,status,output|error}), a table otherwise")
    .action(async (id: string, options: { output?: string }) => {
      const client = rt.client();
      const response = await client.open('GET', `/v2/batch/jobs/${seg(id)}/results`, { what: `read the results of job ${id}`, headers: { accept: 'application/x-ndjson' } });
      if (response.statusCode >= 400)
        throw client.refusal({ status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) }, `read the results of job ${id}`);
      // Streamed: a job's results may be far larger than memory.
      if (options.output) return void (await pipeline(response.body, createWriteStream(options.output)));
      if (rt.json) return void (await pipeline(response.body, process.stdout, { end: false }));
      const rows: (string | number | null)[][] = [];
      for await (const line of createInterface({ input: response.body, crlfDelay: Infinity })) {
        if (!line) continue;
        const row = JSON.parse(line) as ResultRow;
        const answer = row.error ?? (row.output?.outputs ?? []).map((o) => `${o.name} ${preview(o.data, 4)}`).join('; ');
        rows.push([row.index, row.state, row.status, answer]);
      }
      rt.print(null, () => renderTable(['row', 'state', 'status', 'answer'], rows));
    });
}

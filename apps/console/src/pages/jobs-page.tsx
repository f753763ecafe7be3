import { useState } from 'react';
import type { PageProps } from '../app';
import { seg } from '../lib/api';
import { can } from '../lib/session';
import { JOB_FINISHED, type JobView } from '../lib/types';
import { useAsync } from '../lib/use-async';
import { ModelPicker } from './model-picker';
import { Progress } from './progress';

const eta = (seconds: number | null) => (seconds === null ? '-' : seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`);

/** Batch jobs: submit an NDJSON file, follow its progress and ETA, cancel, download the results. */
export function JobsPage({ api, session, model, setModel }: PageProps) {
  const allowed = can(session, 'infer');
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [jobIds, setJobIds] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  // There is no list of a tenant's jobs in the API: the console follows those submitted here.
  const jobs = useAsync(() => Promise.all(jobIds.map((id) => api.json<JobView>('GET', `/v2/batch/jobs/${seg(id)}`))), [jobIds.join()], 1000);

  const submit = async () => {
    if (!file || !model) return;
    setMessage(null);
    try {
      const job = await api.upload<JobView>(`/v2/batch/jobs?model=${seg(model)}`, file, 'application/x-ndjson', (done, total) => setSent({ sent: done, total }));
      setJobIds((ids) => [job.id, ...ids]);
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  const cancel = async (id: string) => {
    if (!confirm('Cancel this job? Rows not yet answered will not run.')) return;
    try {
      await api.json('DELETE', `/v2/batch/jobs/${seg(id)}`);
      jobs.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };

  if (!allowed) return <p>This account does not hold the infer scope: it cannot run jobs.</p>;
  return (
    <section>
      <ModelPicker api={api} model={model} setModel={setModel} />
      <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <h2>Submit a job</h2>
        <label>
          NDJSON / JSONL file (one OIP request or one row of values per line){' '}
          <input data-testid="job-file" type="file" accept=".ndjson,.jsonl,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button data-testid="submit-job" disabled={!file || !model}>
          Submit
        </button>
        {sent && <Progress testId="job-upload" done={sent.sent} total={sent.total} label="uploaded" />}
      </form>
      {message && <p className="error">{message}</p>}
      {jobs.error && <p className="error">{jobs.error}</p>}
      {(jobs.value ?? []).map((j) => {
        const finished = JOB_FINISHED.includes(j.state);
        const percent = Math.floor((100 * (j.processed + j.failed)) / Math.max(1, j.total));
        return (
          <div className="card" key={j.id} data-testid="job" data-state={j.state} data-percent={percent}>
            <h3>
              job {j.id.slice(0, 8)} · {j.model} v{j.version} · <span data-testid="job-state">{j.state}</span>
            </h3>
            <Progress testId="job-progress" done={j.processed + j.failed} total={j.total} label={`${percent} % · ${j.processed}/${j.total} rows, ${j.failed} failed · ETA ${finished ? '-' : eta(j.etaSeconds)}`} />
            {j.error && <p className="error">{j.error}</p>}
            <div className="actions">
              {!finished && <button onClick={() => void cancel(j.id)}>Cancel</button>}
              {finished && (
                <button data-testid="job-results" onClick={() => void api.download(`/v2/batch/jobs/${seg(j.id)}/results`, 'application/x-ndjson', `job-${j.id}.ndjson`).catch((e: Error) => setMessage(e.message))}>
                  Download results
                </button>
              )}
            </div>
          </div>
        );
      })}
    </section>
  );
}

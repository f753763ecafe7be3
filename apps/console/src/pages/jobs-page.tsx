import { useState } from 'react';
import type { PageProps } from '../app';
import { seg } from '../lib/api';
import { can } from '../lib/session';
import { JOB_FINISHED, type JobView } from '../lib/types';
import { useAsync } from '../lib/use-async';
import { ModelPicker } from './model-picker';
import { Progress } from './progress';

const eta = (seconds: number | null) => (seconds === null ? '-' : seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`);

const PAGE_SIZE = 20;
const STATES = ['', 'queued', 'running', 'completed', 'failed', 'cancelled'];

/**
 * Batch jobs: submit an NDJSON file; the tenant's jobs newest first (wherever they were
 * submitted: this tab, the CLI, the API), a page at a time, each with its progress and ETA,
 * cancel and results.
 */
export function JobsPage({ api, session, model, setModel }: PageProps) {
  const allowed = can(session, 'infer');
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [state, setState] = useState('');
  // The cursors of the pages before this one: empty on the newest page (keyset pagination: the
  // API's `nextCursor` leads to older jobs only).
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useAsync(
    () => api.json<{ jobs: JobView[]; nextCursor: string | null }>('GET', `/v2/batch/jobs?limit=${PAGE_SIZE}${state ? `&state=${seg(state)}` : ''}${cursor ? `&cursor=${seg(cursor)}` : ''}`),
    [state, cursor],
    1000,
  );
  const jobs = { ...list, value: list.value?.jobs };

  const submit = async () => {
    if (!file || !model) return;
    setMessage(null);
    try {
      await api.upload<JobView>(`/v2/batch/jobs?model=${seg(model)}`, file, 'application/x-ndjson', (done, total) => setSent({ sent: done, total }));
      // Back to the newest page, where the new job is first.
      setCursors([]);
      list.reload();
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
      <div className="filters">
        <label>
          state{' '}
          <select data-testid="jobs-state" value={state} onChange={(e) => (setState(e.target.value), setCursors([]))}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <button data-testid="jobs-newer" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>
        <button data-testid="jobs-older" disabled={!list.value?.nextCursor} onClick={() => list.value?.nextCursor && setCursors((c) => [...c, list.value!.nextCursor!])}>
          Older
        </button>
      </div>
      {jobs.value && jobs.value.length === 0 && <p data-testid="jobs-empty">No jobs{state ? ` ${state}` : ''} {cursors.length > 0 ? 'on this page' : 'yet'}.</p>}
      {(jobs.value ?? []).map((j) => {
        const finished = JOB_FINISHED.includes(j.state);
        const percent = Math.floor((100 * (j.processed + j.failed)) / Math.max(1, j.total));
        return (
          <div className="card" key={j.id} data-testid="job" data-job-id={j.id} data-state={j.state} data-percent={percent}>
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

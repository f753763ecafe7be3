import { useState } from 'react';
import type { PageProps } from '../app';
import { ApiError, seg } from '../lib/api';
import { can } from '../lib/session';
import type { ModelView, VersionView } from '../lib/types';
import { useAsync } from '../lib/use-async';
import { Progress } from './progress';

/** Models and versions: the list, an upload with progress, stage changes (models:write only). */
export function ModelsPage({ api, session, model, setModel }: PageProps) {
  const writable = can(session, 'models:write');
  const models = useAsync(() => api.json<{ models: ModelView[] }>('GET', '/admin/models?limit=100'), []);
  const versions = useAsync(() => (model ? api.json<{ versions: VersionView[] }>('GET', `/admin/models/${seg(model)}/versions`) : Promise.resolve({ versions: [] })), [model]);
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [alias, setAlias] = useState({ name: '', version: '' });

  const upload = async () => {
    if (!file) return;
    const target = name.trim() || file.name.replace(/\.onnx$/i, '');
    setMessage(null);
    try {
      // Created on its first upload, as `falaj models push` does.
      try {
        await api.json('GET', `/admin/models/${seg(target)}`);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        await api.json('POST', '/admin/models', { name: target });
      }
      setProgress({ sent: 0, total: file.size });
      const version = await api.upload<VersionView>(`/admin/models/${seg(target)}/versions`, file, 'application/octet-stream', (sent, total) => setProgress({ sent, total }));
      setMessage(`uploaded ${target} version ${version.version} (${version.stage})`);
      setModel(target);
      models.reload();
      versions.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };

  const stage = async (version: number, to: string) => {
    if (to === 'archived' && !confirm(`Archive version ${version} of ${model}? It will not serve again.`)) return;
    try {
      await api.json('POST', `/admin/models/${seg(model!)}/versions/${version}/stage`, { stage: to });
      versions.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };

  const pointAlias = async () => {
    try {
      await api.json('PUT', `/admin/models/${seg(model!)}/aliases/${seg(alias.name)}`, { version: /^\d+$/.test(alias.version) ? Number(alias.version) : alias.version });
      versions.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };

  return (
    <section>
      {models.error && <p className="error">{models.error}</p>}
      <table data-testid="models">
        <thead>
          <tr>
            <th>model</th>
            <th>description</th>
          </tr>
        </thead>
        <tbody>
          {(models.value?.models ?? []).map((m) => (
            <tr key={m.name} className={m.name === model ? 'selected' : ''} onClick={() => setModel(m.name)}>
              <td>{m.name}</td>
              <td>{m.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {writable && (
        <form className="card" onSubmit={(e) => (e.preventDefault(), void upload())}>
          <h2>Upload a version</h2>
          <label>
            Model <input data-testid="upload-model" value={name} placeholder="from the file name" onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            ONNX file <input data-testid="upload-file" type="file" accept=".onnx" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
          <button data-testid="upload" disabled={!file}>
            Upload
          </button>
          {progress && <Progress testId="upload-progress" done={progress.sent} total={progress.total} label={`${Math.round((100 * progress.sent) / Math.max(1, progress.total))} %`} />}
        </form>
      )}
      {message && <p data-testid="models-message">{message}</p>}
      {model && (
        <>
          <h2>Versions of {model}</h2>
          {versions.error && <p className="error">{versions.error}</p>}
          <table data-testid="versions">
            <thead>
              <tr>
                <th>version</th>
                <th>stage</th>
                <th>aliases</th>
                <th>signature</th>
                <th>size</th>
                <th>sha256</th>
                {writable && <th />}
              </tr>
            </thead>
            <tbody>
              {(versions.value?.versions ?? []).map((v) => (
                <tr key={v.version} data-testid={`version-${v.version}`}>
                  <td>{v.version}</td>
                  <td className={`stage ${v.stage}`}>{v.stage}</td>
                  <td>{(v.aliases ?? []).join(' ')}</td>
                  <td>{signatureOf(v)}</td>
                  <td>{v.sizeBytes} B</td>
                  <td className="mono">{v.sha256.slice(0, 12)}</td>
                  {writable && (
                    <td className="actions">
                      {v.stage !== 'staging' && v.stage !== 'production' && <button onClick={() => void stage(v.version, 'staging')}>To staging</button>}
                      {v.stage !== 'production' && (
                        <button data-testid={`promote-${v.version}`} onClick={() => void stage(v.version, 'production')}>
                          Promote
                        </button>
                      )}
                      {v.stage !== 'archived' && <button onClick={() => void stage(v.version, 'archived')}>Archive</button>}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {writable && (
            <form className="card" onSubmit={(e) => (e.preventDefault(), void pointAlias())}>
              <label className="inline">
                Alias <input data-testid="alias-name" value={alias.name} placeholder="champion" onChange={(e) => setAlias({ ...alias, name: e.target.value })} required />
              </label>
              <label className="inline">
                points at <input data-testid="alias-version" value={alias.version} placeholder="version or alias" onChange={(e) => setAlias({ ...alias, version: e.target.value })} required />
              </label>
              <button data-testid="set-alias">Set alias</button>
            </form>
          )}
        </>
      )}
    </section>
  );
}

function signatureOf(v: VersionView): string {
  const side = (list?: { name: string; datatype: string; shape: number[] }[]) => (list ?? []).map((t) => `${t.name} ${t.datatype}[${t.shape.join('×')}]`).join(', ');
  return v.signature ? `${side(v.signature.inputs)} → ${side(v.signature.outputs)}` : '';
}

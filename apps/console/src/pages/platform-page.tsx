import { useState } from 'react';
import type { PageProps } from '../app';
import { ApiError, seg } from '../lib/api';
import { useAsync } from '../lib/use-async';

interface TenantView {
  id: string;
  name: string;
  residency: string;
  payloadLogging: string;
  mustAudit?: boolean;
}

interface ClientView {
  clientId: string;
  name: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

interface Quota {
  rps?: number;
  burst?: number;
  concurrency?: number;
}

const TENANT_SCOPES = ['infer', 'models:read', 'models:write', 'deployments:write', 'audit:read', 'audit:erase', 'versions:pin'];

/** Platform administration (platform:admin only): a tenant, its accounts (OAuth clients) and its quota. */
export function PlatformPage({ api }: PageProps) {
  const [lookup, setLookup] = useState('');
  const [tenantId, setTenantId] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [created, setCreated] = useState<{ clientId: string; clientSecret: string } | null>(null);
  const [draftTenant, setDraftTenant] = useState({ id: '', name: '', residency: 'ae' });
  const [clientName, setClientName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['models:read']);
  const [quotaDraft, setQuotaDraft] = useState({ rps: '', burst: '', concurrency: '' });

  const tenant = useAsync(() => (tenantId ? api.json<TenantView>('GET', `/admin/tenants/${seg(tenantId)}`) : Promise.resolve(null)), [tenantId]);
  const clients = useAsync(() => (tenantId ? api.json<{ clients: ClientView[] }>('GET', `/admin/tenants/${seg(tenantId)}/clients`) : Promise.resolve({ clients: [] })), [tenantId]);
  const quota = useAsync(async () => {
    if (!tenantId) return null;
    try {
      return await api.json<Quota>('GET', `/admin/tenants/${seg(tenantId)}/quota`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }, [tenantId]);

  const act = async (run: () => Promise<unknown>, after: () => void) => {
    setMessage(null);
    try {
      await run();
      after();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  const createTenant = () => act(() => api.json('POST', '/admin/tenants', draftTenant), () => setTenantId(draftTenant.id));
  const createClient = () =>
    act(
      async () => setCreated(await api.json<{ clientId: string; clientSecret: string }>('POST', `/admin/tenants/${seg(tenantId!)}/clients`, { name: clientName, scopes })),
      clients.reload,
    );
  const revoke = (clientId: string) => {
    if (!confirm(`Revoke ${clientId}? Its tokens are refused within seconds.`)) return;
    void act(() => api.json('DELETE', `/admin/tenants/${seg(tenantId!)}/clients/${seg(clientId)}`), clients.reload);
  };
  const setQuota = () => {
    const body = Object.fromEntries(Object.entries(quotaDraft).filter(([, v]) => v !== '').map(([k, v]) => [k, Number(v)]));
    void act(() => api.json('PUT', `/admin/tenants/${seg(tenantId!)}/quota`, body), quota.reload);
  };

  const t = tenant.value;
  return (
    <section>
      <div className="row">
        <form className="card" onSubmit={(e) => (e.preventDefault(), setCreated(null), setTenantId(lookup.trim() || null))}>
          <h2>Open a tenant</h2>
          <input data-testid="tenant-lookup" value={lookup} placeholder="tenant id" onChange={(e) => setLookup(e.target.value)} /> <button data-testid="open-tenant">Open</button>
        </form>
        <form className="card" onSubmit={(e) => (e.preventDefault(), void createTenant())}>
          <h2>Create a tenant</h2>
          {(['id', 'name', 'residency'] as const).map((f) => (
            <label key={f}>
              {f} <input value={draftTenant[f]} onChange={(e) => setDraftTenant({ ...draftTenant, [f]: e.target.value })} />
            </label>
          ))}
          <button>Create</button>
        </form>
      </div>
      {(message ?? tenant.error ?? clients.error ?? quota.error) && <p className="error">{message ?? tenant.error ?? clients.error ?? quota.error}</p>}
      {t && (
        <div className="card" data-testid="tenant">
          <h2>
            {t.name} ({t.id})
          </h2>
          <p>
            residency {t.residency} · payload logging {t.payloadLogging} · must audit {t.mustAudit ? 'yes' : 'no'}
          </p>
          <h3>Accounts (OAuth clients)</h3>
          <table data-testid="clients">
            <tbody>
              {(clients.value?.clients ?? []).map((c) => (
                <tr key={c.clientId}>
                  <td className="mono">{c.clientId}</td>
                  <td>{c.name}</td>
                  <td>{c.scopes.join(' ')}</td>
                  <td>{c.revokedAt ? `revoked ${c.revokedAt}` : `created ${c.createdAt} by ${c.createdBy}`}</td>
                  <td>{!c.revokedAt && <button onClick={() => revoke(c.clientId)}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <form onSubmit={(e) => (e.preventDefault(), void createClient())}>
            <label>
              New account <input data-testid="client-name" value={clientName} placeholder="name" onChange={(e) => setClientName(e.target.value)} required />
            </label>
            {TENANT_SCOPES.map((s) => (
              <label key={s} className="inline">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}
              </label>
            ))}
            <button data-testid="create-client">Create account</button>
          </form>
          {created && (
            <p data-testid="client-secret">
              Account <span className="mono">{created.clientId}</span>, secret <span className="mono">{created.clientSecret}</span>: shown this once, keep it now.
            </p>
          )}
          <h3>Quota</h3>
          <p data-testid="quota">{quota.value ? JSON.stringify(quota.value) : "none of its own (the gateways' FALAJ_QUOTAS applies)"}</p>
          <form onSubmit={(e) => (e.preventDefault(), setQuota())}>
            {(['rps', 'burst', 'concurrency'] as const).map((f) => (
              <label key={f} className="inline">
                {f} <input data-testid={`quota-${f}`} value={quotaDraft[f]} onChange={(e) => setQuotaDraft({ ...quotaDraft, [f]: e.target.value })} />
              </label>
            ))}
            <button data-testid="set-quota">Set quota</button>
          </form>
        </div>
      )}
    </section>
  );
}

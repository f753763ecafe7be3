import { useEffect, useState } from 'react';
import { Api } from './lib/api';
import { beginSignIn, can, completeSignIn, currentSession, signOut, type Session } from './lib/session';
import { AuditPage } from './pages/audit-page';
import { DeploymentsPage } from './pages/deployments-page';
import { JobsPage } from './pages/jobs-page';
import { ModelsPage } from './pages/models-page';
import { PlatformPage } from './pages/platform-page';
import { RolloutsPage } from './pages/rollouts-page';
import { TrafficPage } from './pages/traffic-page';

export interface PageProps {
  api: Api;
  session: Session;
  model: string | null;
  setModel: (model: string) => void;
}

const PAGES = [
  { path: 'models', title: 'Models', Page: ModelsPage, scopes: ['models:read'] },
  { path: 'deployments', title: 'Deployments', Page: DeploymentsPage, scopes: ['models:read'] },
  { path: 'rollouts', title: 'Rollouts', Page: RolloutsPage, scopes: ['models:read'] },
  // The live figures come from the audit log (as the CLI's `top`): audit:read.
  { path: 'traffic', title: 'Live traffic', Page: TrafficPage, scopes: ['audit:read'] },
  { path: 'jobs', title: 'Jobs', Page: JobsPage, scopes: ['infer'] },
  { path: 'audit', title: 'Audit', Page: AuditPage, scopes: ['audit:read', 'platform:admin'] },
  { path: 'platform', title: 'Platform', Page: PlatformPage, scopes: ['platform:admin'] },
] as const;

const pageOf = (pathname: string) => PAGES.find((p) => pathname === `/console/${p.path}`) ?? PAGES[0];

/** The console: sign-in, then one page per capability under /console/<page> (history routing). */
export function App() {
  const [session, setSession] = useState<Session | null>(() => currentSession());
  const [path, setPath] = useState(location.pathname);
  const [error, setError] = useState<string | null>(null);
  const [model, setModel] = useState<string | null>(null);

  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    if (path !== '/console/callback') return;
    completeSignIn(location.search).then(
      (returnTo) => {
        history.replaceState(null, '', returnTo);
        setPath(returnTo);
        setSession(currentSession());
      },
      (e: Error) => setError(e.message),
    );
  }, [path]);

  const go = (to: string) => {
    history.pushState(null, '', to);
    setPath(to);
  };

  if (path === '/console/callback') return <main className="signin">{error ? <p className="error">{error}</p> : <p>Signing in…</p>}</main>;
  if (!session) {
    return (
      <main className="signin">
        <h1>Falaj console</h1>
        <p>Sign in with your tenant's account at the platform's issuer.</p>
        <button data-testid="sign-in" onClick={() => void beginSignIn(`/console/${pageOf(path).path}`)}>
          Sign in
        </button>
      </main>
    );
  }
  // A page needing a scope the session lacks is not offered (the API would refuse it anyway).
  const offered = PAGES.filter((p) => p.scopes.some((scope) => can(session, scope)));
  const current = offered.find((p) => p === pageOf(path)) ?? offered[0];
  if (!current) return <main className="signin">This account holds none of the scopes the console's pages need ({session.scopes.join(' ') || 'no scopes'}).</main>;
  const api = new Api(session);
  return (
    <div className="shell">
      <header>
        <strong>Falaj</strong>
        <nav>
          {offered.map((p) => (
            <a key={p.path} href={`/console/${p.path}`} className={p === current ? 'active' : ''} onClick={(e) => (e.preventDefault(), go(`/console/${p.path}`))}>
              {p.title}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {session.subject} · tenant {session.tenant}
        </span>
        <button className="link" onClick={() => (signOut(), setSession(null))}>
          Sign out
        </button>
      </header>
      <main>
        <h1>{current.title}</h1>
        <current.Page api={api} session={session} model={model} setModel={setModel} />
      </main>
    </div>
  );
}

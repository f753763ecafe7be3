import { challengeOf, randomToken } from './pkce';

/** The console is a public client of the built-in issuer (no secret: PKCE proves the code is ours). */
export const CLIENT_ID = 'falaj-console';
const SESSION_KEY = 'falaj.console.session';
const PENDING_KEY = 'falaj.console.pending';

export interface Session {
  accessToken: string;
  expiresAt: number;
  tenant: string;
  subject: string;
  scopes: string[];
}

const redirectUri = (): string => `${location.origin}/console/callback`;

/**
 * Kept in sessionStorage: this tab only, gone when it closes. The token is short-lived and bears
 * only the scopes of the account that signed in; the CSP (script-src 'self') keeps other scripts out.
 */
export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  const session = JSON.parse(raw) as Session;
  if (session.expiresAt - 10_000 < Date.now()) {
    sessionStorage.removeItem(SESSION_KEY);
    return null;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

/** Step 1 of the authorization-code flow: to the issuer's sign-in page, with state and the S256 challenge. */
export async function beginSignIn(returnTo: string): Promise<void> {
  const verifier = randomToken(32);
  const state = randomToken(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
    state,
  });
  location.assign(`/oauth2/authorize?${query.toString()}`);
}

/** Step 2, at /console/callback: the state checked, the code exchanged with the verifier. Returns where to go. */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.get('error')) throw new Error(`sign-in refused: ${params.get('error')} ${params.get('error_description') ?? ''}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('sign-in answer does not match this tab (state): sign in again');
  const response = await fetch('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: params.get('code') ?? '', redirect_uri: redirectUri(), code_verifier: pending.verifier }).toString(),
  });
  const body = (await response.json()) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) throw new Error(`token refused: ${body.error ?? response.status} ${body.error_description ?? ''}`);
  // Read, not verified: the gateway verifies every call; these claims only choose what to offer.
  const claims = JSON.parse(atob(body.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { tenant: string; sub: string; scope?: string };
  const session: Session = {
    accessToken: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 300) * 1000,
    tenant: claims.tenant,
    subject: claims.sub,
    scopes: (claims.scope ?? '').split(' ').filter(Boolean),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return pending.returnTo;
}

export const can = (session: Session, scope: string): boolean => session.scopes.includes(scope);

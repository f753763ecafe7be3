// The Keycloak that `scripts/infra.sh up keycloak` runs for the tests (dev mode on 127.0.0.1), and
// the test realm it imports from infra/keycloak/falaj-e2e-realm.json: the external OAuth2/OIDC
// identity provider of the auth e2e tests. Client secrets are read from the committed realm file
// (test-only fixtures), so the realm and the tests cannot drift apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root';

export const KEYCLOAK_REALM = 'falaj-e2e';
/** The audience Falaj accepts; acme-no-audience's tokens lack it. */
export const KEYCLOAK_AUDIENCE = 'falaj';
export const KEYCLOAK_REALM_FILE = join(repoRoot(), 'infra/keycloak', `${KEYCLOAK_REALM}-realm.json`);

/**
 * The realm's confidential clients (client-credentials grant only). Access tokens carry
 * `tenant` and `residency` (strings) and `scope` "infer models:read"; all but acme-no-audience
 * have `aud` "falaj".
 */
export const KEYCLOAK_CLIENTS = {
  'acme-ingest': { tenant: 'acme', residency: 'ae', audience: true },
  'acme-no-audience': { tenant: 'acme', residency: 'ae', audience: false },
  'globex-ingest': { tenant: 'globex', residency: 'ae', audience: true },
} as const;
export type KeycloakClientId = keyof typeof KEYCLOAK_CLIENTS;

function readClientSecrets(): Readonly<Record<KeycloakClientId, string>> {
  const realm = JSON.parse(readFileSync(KEYCLOAK_REALM_FILE, 'utf8')) as {
    realm?: string;
    clients?: { clientId?: string; secret?: string }[];
  };
  if (realm.realm !== KEYCLOAK_REALM) throw new Error(`${KEYCLOAK_REALM_FILE} is not realm ${KEYCLOAK_REALM}`);
  const secrets = {} as Record<KeycloakClientId, string>;
  for (const id of Object.keys(KEYCLOAK_CLIENTS) as KeycloakClientId[]) {
    const secret = realm.clients?.find((c) => c.clientId === id)?.secret;
    if (!secret) throw new Error(`${KEYCLOAK_REALM_FILE} has no client ${id} with a secret`);
    secrets[id] = secret;
  }
  return Object.freeze(secrets);
}

/** Each client's committed test secret, from the realm file. */
export const KEYCLOAK_CLIENT_SECRETS = readClientSecrets();

/** Keycloak's base URL: 127.0.0.1 on FALAJ_KEYCLOAK_PORT (8180), as infra.sh runs it. */
export function keycloakBaseUrl(): string {
  return `http://127.0.0.1:${process.env.FALAJ_KEYCLOAK_PORT ?? '8180'}`;
}

/** The realm's issuer (`iss` of its tokens). */
export function keycloakIssuer(): string {
  return `${keycloakBaseUrl()}/realms/${KEYCLOAK_REALM}`;
}

export function keycloakDiscoveryUrl(): string {
  return `${keycloakIssuer()}/.well-known/openid-configuration`;
}

export interface KeycloakDiscovery {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  [key: string]: unknown;
}

const discoveries = new Map<string, Promise<KeycloakDiscovery>>();

/** The realm's OIDC discovery document (fetched once per issuer). */
export function keycloakDiscovery(): Promise<KeycloakDiscovery> {
  const url = keycloakDiscoveryUrl();
  let doc = discoveries.get(url);
  if (!doc) {
    doc = (async () => {
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        throw new Error(`Keycloak does not answer at ${url} (start it: bash scripts/infra.sh up keycloak): ${String(err)}`, { cause: err });
      }
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} (is realm ${KEYCLOAK_REALM} imported?)`);
      return (await res.json()) as KeycloakDiscovery;
    })();
    doc.catch(() => discoveries.delete(url));
    discoveries.set(url, doc);
  }
  return doc;
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants the Basic credentials encoded. */
const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

/**
 * The raw token endpoint response of a client-credentials grant (HTTP Basic client auth), for
 * tests of failures; `secret` defaults to the client's committed one.
 */
export async function keycloakTokenResponse(clientId: string, secret?: string): Promise<Response> {
  const { token_endpoint } = await keycloakDiscovery();
  const password = secret ?? KEYCLOAK_CLIENT_SECRETS[clientId as KeycloakClientId];
  if (password === undefined) throw new Error(`no committed secret for client ${clientId}; pass one`);
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(password)}`).toString('base64');
  return fetch(token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
}

/** A fresh access token (a signed RS256 JWT, 300 s) for one of the realm's clients. */
export async function keycloakToken(clientId: KeycloakClientId, secret?: string): Promise<string> {
  const res = await keycloakTokenResponse(clientId, secret);
  const text = await res.text();
  if (!res.ok) throw new Error(`Keycloak token for ${clientId}: HTTP ${res.status} ${text}`);
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string') throw new Error(`Keycloak token for ${clientId}: no access_token in ${text}`);
  return token;
}

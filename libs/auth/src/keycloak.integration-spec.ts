// Proves the Keycloak started by `scripts/infra.sh up keycloak` issues what the auth e2e tests
// rely on: client-credentials tokens of realm falaj-e2e, RS256-signed, verifiable against the
// realm's JWKS, with the falaj audience, the tenant claims and the Falaj scopes. Runs against the
// real Keycloak; fails when it is unreachable.
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { KEYCLOAK_AUDIENCE, KEYCLOAK_CLIENTS, KEYCLOAK_CLIENT_SECRETS, keycloakDiscovery, keycloakIssuer, keycloakToken, keycloakTokenResponse, type KeycloakClientId } from '@falaj/testing';

jest.setTimeout(30_000);

describe('Keycloak (realm falaj-e2e)', () => {
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const verify = (token: string) => jwtVerify(token, jwks, { issuer: keycloakIssuer(), audience: KEYCLOAK_AUDIENCE, algorithms: ['RS256'] });

  beforeAll(async () => {
    const discovery = await keycloakDiscovery();
    expect(discovery.issuer).toBe(keycloakIssuer());
    jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  });

  it('discovery names the token endpoint and JWKS under the issuer, and the client-credentials grant', async () => {
    const discovery = await keycloakDiscovery();
    expect(discovery.token_endpoint).toBe(`${keycloakIssuer()}/protocol/openid-connect/token`);
    expect(discovery.jwks_uri.startsWith(keycloakIssuer())).toBe(true);
    expect(discovery.grant_types_supported).toContain('client_credentials');
  });

  it.each(['acme-ingest', 'globex-ingest'] as KeycloakClientId[])('%s gets an RS256 token with aud falaj, its tenant and residency, and the Falaj scopes', async (clientId) => {
    const { payload, protectedHeader } = await verify(await keycloakToken(clientId));
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.iss).toBe(keycloakIssuer());
    expect([payload.aud].flat()).toContain('falaj');
    expect(payload.azp).toBe(clientId);
    expect(payload.tenant).toBe(KEYCLOAK_CLIENTS[clientId].tenant);
    expect(payload.residency).toBe('ae');
    expect(typeof payload.sub).toBe('string');
    const scopes = String(payload.scope).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['infer', 'models:read']));
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('acme-no-audience has the tenant claims and scopes but fails audience verification', async () => {
    const token = await keycloakToken('acme-no-audience');
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.JWTClaimValidationFailed);
    expect((err as InstanceType<typeof errors.JWTClaimValidationFailed>).claim).toBe('aud');
    // Everything else about it is valid.
    const { payload } = await jwtVerify(token, jwks, { issuer: keycloakIssuer(), algorithms: ['RS256'] });
    expect(payload.aud).toBeUndefined();
    expect(payload.tenant).toBe('acme');
    expect(payload.residency).toBe('ae');
    expect(String(payload.scope).split(' ')).toEqual(expect.arrayContaining(['infer', 'models:read']));
  });

  it('a wrong client secret gets 401 from the token endpoint', async () => {
    const res = await keycloakTokenResponse('acme-ingest', 'not-the-secret');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error?: string }).error).toBe('unauthorized_client');
  });

  it('the clients may not use the password grant (client credentials only)', async () => {
    const { token_endpoint } = await keycloakDiscovery();
    const basic = Buffer.from(`acme-ingest:${KEYCLOAK_CLIENT_SECRETS['acme-ingest']}`).toString('base64');
    const res = await fetch(token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'someone', password: 'something' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error?: string }).error).toBe('unauthorized_client');
  });
});

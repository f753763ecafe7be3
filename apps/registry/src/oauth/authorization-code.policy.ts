import { createHash, timingSafeEqual } from 'node:crypto';

/** The web console: the one public client of the built-in issuer (no secret; PKCE binds the code to it). */
export const CONSOLE_CLIENT_ID = 'falaj-console';

/** A code is good this long (RFC 6749 §4.1.2: "a maximum lifetime of 10 minutes is RECOMMENDED"; far less is enough). */
export const CODE_TTL_MS = 60_000;

/** What a code stands for, kept until it is redeemed once or lapses. */
export interface AuthorizationGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  /** The account that signed in: its tokens carry this account's tenant and scopes. */
  accountId: string;
  scope?: string;
  expiresAt: number;
}

/** An authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3), as the query or the sign-in form carries it. */
export interface AuthorizationRequest {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  state?: string;
  scope?: string;
}

/**
 * What is wrong with an authorization request. `show`: the client or its redirect URI is not
 * known, so nothing may be sent to that URI (§4.1.2.1: an open redirector otherwise) and the user
 * is told. `redirect`: the client is known and the error goes back to it. Null: a good request.
 */
export type AuthorizationProblem = { kind: 'show'; message: string } | { kind: 'redirect'; error: 'invalid_request' | 'unsupported_response_type'; description: string };

/** RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]; a challenge is the same alphabet. */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export function authorizationProblem(request: AuthorizationRequest, registeredRedirectUris: readonly string[]): AuthorizationProblem | null {
  if (request.client_id !== CONSOLE_CLIENT_ID) return { kind: 'show', message: 'unknown client: only the Falaj console signs in here' };
  // Exact string match, never a prefix or a pattern (RFC 9700 §4.1.3).
  if (!request.redirect_uri || !registeredRedirectUris.includes(request.redirect_uri)) return { kind: 'show', message: 'the redirect URI is not one registered for the console' };
  if (request.response_type !== 'code') return { kind: 'redirect', error: 'unsupported_response_type', description: 'only response_type=code is supported' };
  // S256 only: `plain` would send the verifier itself through the browser (RFC 9700 §2.1.1).
  if (request.code_challenge_method !== 'S256') return { kind: 'redirect', error: 'invalid_request', description: 'code_challenge_method must be S256' };
  if (!request.code_challenge || !PKCE_VALUE.test(request.code_challenge)) return { kind: 'redirect', error: 'invalid_request', description: 'code_challenge is required (43 to 128 characters)' };
  if (request.state !== undefined && request.state.length > 500) return { kind: 'redirect', error: 'invalid_request', description: 'state is too long' };
  return null;
}

/** The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export interface CodeRedemption {
  clientId?: string;
  redirectUri?: string;
  codeVerifier?: string;
}

/**
 * Why a redeemed code's grant may not become a token (every case is `invalid_grant`, RFC 6749
 * §5.2), or null. `grant` is null when the code is unknown, already redeemed, or lapsed from the store.
 */
export function redemptionProblem(grant: AuthorizationGrant | null, redemption: CodeRedemption, now: number): string | null {
  if (!grant) return 'the code is unknown, already used, or expired';
  if (grant.expiresAt <= now) return 'the code has expired';
  if (redemption.clientId !== grant.clientId) return 'the code was issued to another client';
  if (redemption.redirectUri !== grant.redirectUri) return 'redirect_uri is not the one the code was issued for';
  if (!redemption.codeVerifier || !PKCE_VALUE.test(redemption.codeVerifier)) return 'code_verifier is required (43 to 128 characters)';
  const expected = Buffer.from(grant.codeChallenge);
  const actual = Buffer.from(s256(redemption.codeVerifier));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return 'code_verifier does not match the code_challenge';
  return null;
}

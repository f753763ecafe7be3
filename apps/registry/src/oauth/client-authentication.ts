import { OAuthProtocolError } from './oauth.exception';

/**
 * The client credentials of a token or revocation request: HTTP Basic (RFC 6749 §2.3.1, each
 * part form-urlencoded) or `client_id` and `client_secret` in the body, never both.
 */
export function clientCredentialsOf(authorization: string | undefined, body: { client_id?: string; client_secret?: string }): { clientId: string; secret: string } {
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (authorization !== undefined) {
    if (inBody) throw new OAuthProtocolError(400, 'invalid_request', 'use one client authentication method, not two');
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (!match) throw new OAuthProtocolError(401, 'invalid_client', 'client authentication must be HTTP Basic');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthProtocolError(401, 'invalid_client', 'malformed Basic credentials');
    try {
      return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
    } catch {
      throw new OAuthProtocolError(401, 'invalid_client', 'malformed Basic credentials');
    }
  }
  if (body.client_id && body.client_secret) return { clientId: body.client_id, secret: body.client_secret };
  throw new OAuthProtocolError(401, 'invalid_client', 'client authentication is required');
}

import { DomainError } from '@falaj/contracts';

/** What a OAuthClientsError says went wrong: its `code`, in every protocol's error answer. */
export const O_AUTH_CLIENTS_ERROR_CODES = ['client_not_found', 'scopes_not_allowed'] as const;
export type OAuthClientsErrorCode = (typeof O_AUTH_CLIENTS_ERROR_CODES)[number];

/** The admin API's errors about clients and keys (the usual `{error}` shape). */
export class OAuthClientsError extends DomainError<OAuthClientsErrorCode> {
  static notFound(clientId: string): OAuthClientsError {
    return new OAuthClientsError(404, `client '${clientId}' not found`, 'client_not_found');
  }
  static scopesNotAllowed(tenantId: string, scopes: string[]): OAuthClientsError {
    return new OAuthClientsError(400, `scopes ${scopes.join(', ')} cannot be given to an account of '${tenantId}'`, 'scopes_not_allowed');
  }
}

/**
 * An error of the token or revocation endpoint, in RFC 6749 §5.2's shape
 * (`{ error, error_description }`), which OAuth clients parse.
 */
export class OAuthProtocolError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly code: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope' | 'unsupported_token_type',
    message: string,
  ) {
    super(message);
  }
}

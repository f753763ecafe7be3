import { Injectable, Optional } from '@nestjs/common';
import { AccessTokenVerifier } from './access-token.verifier';
import { looksLikeApiKey } from './api-key';
import { ApiKeyVerifier } from './api-key.verifier';
import { credentialOf } from './bearer';
import { InvalidTokenError } from './invalid-token.error';
import type { Principal } from './principal';

/**
 * Turns the credential of a request (the `authorization` header of HTTP, the metadata of the
 * same name in gRPC, the Kafka header) into a principal, or throws InvalidTokenError (a 401 /
 * UNAUTHENTICATED / dead letter). The one place every protocol authenticates through, so each
 * kind of credential is added once: access tokens of the trusted issuers, and API keys
 * (`Bearer fj_…` or `ApiKey fj_…`) where the app has an ApiKeyVerifier.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly tokens: AccessTokenVerifier,
    @Optional() private readonly apiKeys?: ApiKeyVerifier,
  ) {}

  async authenticate(authorization: string | string[] | undefined): Promise<Principal> {
    const credential = credentialOf(authorization);
    if (!credential) throw new InvalidTokenError('missing bearer token');
    if (credential.scheme === 'apikey' || looksLikeApiKey(credential.value)) {
      if (!this.apiKeys) throw new InvalidTokenError('API keys are not accepted here');
      return this.apiKeys.verify(credential.value);
    }
    return this.tokens.verify(credential.value);
  }
}

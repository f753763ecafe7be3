import { Injectable, Optional } from '@nestjs/common';
import { looksLikeApiKey } from './api-key';
import { ApiKeyVerifier } from './api-key.verifier';
import { credentialOf } from './bearer';
import type { Principal } from './principal';
import { InvalidTokenError, TokenService } from './token.service';

/**
 * Turns the credential of a request (the `authorization` header of HTTP, or the metadata of the
 * same name in gRPC) into a principal, or throws InvalidTokenError (a 401 / UNAUTHENTICATED).
 * The one place every protocol authenticates through, so each kind of credential is added once:
 * signed bearer tokens (JWT), and API keys (`Bearer fj_…` or `ApiKey fj_…`) where the app has an
 * ApiKeyVerifier.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly tokens: TokenService,
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

import { Injectable } from '@nestjs/common';
import { bearerToken } from './bearer';
import type { Principal } from './principal';
import { InvalidTokenError, TokenService } from './token.service';

/**
 * Turns the credential of a request (the `authorization` header of HTTP, or the metadata of the
 * same name in gRPC) into a principal, or throws InvalidTokenError (a 401 / UNAUTHENTICATED).
 * The one place every protocol authenticates through, so each kind of credential is added once.
 */
@Injectable()
export class Authenticator {
  constructor(private readonly tokens: TokenService) {}

  async authenticate(authorization: string | string[] | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (!token) throw new InvalidTokenError('missing bearer token');
    return this.tokens.verify(token);
  }
}

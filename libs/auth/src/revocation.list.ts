import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { revocationsChangedChannel, revocationsKey } from '@falaj/contracts';
import { RedisHashMirror } from '@falaj/messaging';
import type { RevocationCheck, TokenFacts } from './access-token.verifier';

/**
 * The built-in issuer's revocations, followed in memory (read at start, on each announcement and
 * every few seconds): a revoked client's tokens issued before its revocation, and single revoked
 * tokens by `jti`. Checked on every use of a token, cached or not, so a revocation reaches every
 * gateway and router within the announcement's round trip, or the refresh period at worst.
 */
export class RevocationList extends RedisHashMirror implements RevocationCheck {
  private readonly logger = new Logger(RevocationList.name);
  private clients = new Map<string, number>();
  private tokens = new Set<string>();

  constructor(
    redis: Redis,
    subscriber: Redis,
    prefix: string,
    /** Only this issuer's tokens are revoked here; other issuers revoke by their own token lifetimes. */
    private readonly issuer: string,
    refreshMs = 2000,
  ) {
    super(redis, subscriber, revocationsKey(prefix), revocationsChangedChannel(prefix), refreshMs);
  }

  isRevoked(token: TokenFacts): boolean {
    if (token.iss !== this.issuer) return false;
    const revokedAt = this.clients.get(token.sub);
    if (revokedAt !== undefined && token.iat <= revokedAt) return true;
    return token.jti !== undefined && this.tokens.has(token.jti);
  }

  protected apply(fields: Record<string, string>): void {
    const clients = new Map<string, number>();
    const tokens = new Set<string>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('client:')) clients.set(field.slice('client:'.length), Number(value));
      else if (field.startsWith('token:')) tokens.add(field.slice('token:'.length));
    }
    this.clients = clients;
    this.tokens = tokens;
  }

  protected reloadFailed(error: Error): void {
    this.logger.warn(`revocation list not refreshed (kept as it was): ${error.message}`);
  }
}

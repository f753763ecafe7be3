import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import type { Repository } from 'typeorm';
import { PLATFORM_TENANT } from '@falaj/auth';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';
import { OAuthProtocolError } from './oauth.exception';
import type { OAuthClientEntity } from './oauth-client.entity';
import { RevocationsMirror } from './revocations.mirror';
import { RevokedTokenEntity } from './revoked-token.entity';
import { SigningKeysService } from './signing-keys.service';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * Signs access tokens for authenticated clients (RFC 9068 JWT profile, ES256): `iss`, `sub` and
 * `client_id` the client, `aud`, `iat`/`nbf`/`exp` (a short lifetime), a `jti`, and the claims
 * every Falaj app maps to a principal: `tenant`, `scope`, `residency`.
 */
@Injectable()
export class TokenIssuerService {
  private readonly logger = new Logger(TokenIssuerService.name);

  constructor(
    private readonly keys: SigningKeysService,
    private readonly tenants: TenantRecords,
    private readonly revocations: RevocationsMirror,
    @InjectRepository(RevokedTokenEntity) private readonly revoked: Repository<RevokedTokenEntity>,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** `authorizedParty`: the client the token was issued to on the account's behalf (the console), as `azp`. */
  async issue(client: OAuthClientEntity, requested: string | undefined, authorizedParty?: string): Promise<IssuedToken> {
    const scopes = this.grantedScopes(client, requested);
    const residency = client.tenantId === PLATFORM_TENANT ? undefined : (await this.tenants.get(client.tenantId)).residency;
    const { kid, privateKey } = await this.keys.signingKey();
    const ttl = this.config.issuer.tokenTtlSeconds;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      client_id: client.clientId,
      tenant: client.tenantId,
      scope: scopes.join(' '),
      ...(residency ? { residency } : {}),
      ...(authorizedParty ? { azp: authorizedParty } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(this.config.issuer.url)
      .setSubject(client.clientId)
      .setAudience(this.config.issuer.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
    this.logger.log({ clientId: client.clientId, tenant: client.tenantId, scopes, ...(authorizedParty ? { via: authorizedParty } : {}) }, 'access token issued');
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: scopes.join(' ') };
  }

  /**
   * RFC 7009: revokes one of the client's own tokens until it expires. A token that is not
   * this issuer's, not the client's, or already expired is ignored, as §2.2 says.
   */
  async revoke(client: OAuthClientEntity, token: string): Promise<void> {
    let payload: { jti?: unknown; client_id?: unknown; exp?: unknown };
    try {
      ({ payload } = await jwtVerify(token, createLocalJWKSet(await this.keys.jwks()), { issuer: this.config.issuer.url, algorithms: ['ES256'] }));
    } catch {
      return;
    }
    if (payload.client_id !== client.clientId || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return;
    const entity = this.revoked.create({ jti: payload.jti, clientId: client.clientId, expiresAt: new Date(payload.exp * 1000) });
    await this.revoked.upsert(entity, ['jti']);
    await this.revocations.tokenRevoked(entity);
    this.logger.log({ clientId: client.clientId, jti: payload.jti }, 'access token revoked');
  }

  /** All the client holds, or the subset asked for; asking for more is invalid_scope (RFC 6749 §5.2). */
  private grantedScopes(client: OAuthClientEntity, requested: string | undefined): string[] {
    if (requested === undefined || requested.trim() === '') return client.scopes;
    const asked = [...new Set(requested.split(' ').filter(Boolean))];
    const refused = asked.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0) throw new OAuthProtocolError(400, 'invalid_scope', `the client may not have ${refused.join(', ')}`);
    return asked;
  }
}

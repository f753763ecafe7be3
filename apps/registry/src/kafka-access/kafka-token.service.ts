import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SignJWT, exportJWK, calculateJwkThumbprint } from 'jose';
import { KAFKA_TOKEN, tenantKafkaPrincipal, type KafkaTokenGrant } from '@falaj/messaging';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { KafkaAccessError } from './kafka-access.exception';

/**
 * Signs a tenant's Kafka token (ES256 with the key of FALAJ_KAFKA_TOKEN_KEY_FILE): `sub` its
 * principal, the Kafka issuer and audience, a short life. The broker's validator needs nothing
 * else; its `kid` is the key's RFC 7638 thumbprint, as in the JWKS infra.sh wrote.
 */
@Injectable()
export class KafkaTokenService {
  private readonly logger = new Logger(KafkaTokenService.name);
  private readonly key?: { privateKey: KeyObject; kid: Promise<string> };

  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {
    const pem = config.tenantKafka.tokenKey;
    if (pem) {
      const privateKey = createPrivateKey(pem);
      this.key = { privateKey, kid: exportJWK(privateKey).then(({ kty, crv, x, y }) => calculateJwkThumbprint({ kty, crv, x, y }, 'sha256')) };
    }
  }

  async issue(tenantId: string): Promise<KafkaTokenGrant> {
    if (!this.key) throw KafkaAccessError.unavailable();
    const principal = tenantKafkaPrincipal(this.config.tenantKafka.streamPrefix, tenantId);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tenant: tenantId })
      .setProtectedHeader({ alg: 'ES256', kid: await this.key.kid, typ: 'JWT' })
      .setIssuer(KAFKA_TOKEN.issuer)
      .setAudience(KAFKA_TOKEN.audience)
      .setSubject(principal)
      .setIssuedAt(now)
      .setExpirationTime(now + KAFKA_TOKEN.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
    this.logger.log({ tenantId, principal }, 'Kafka token issued');
    return { token, expires_in: KAFKA_TOKEN.lifetimeSeconds, principal };
  }
}

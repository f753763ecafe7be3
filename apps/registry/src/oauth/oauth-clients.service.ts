import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { PLATFORM_SCOPES, PLATFORM_TENANT, TENANT_SCOPES, secretMatches, sha256Hex } from '@falaj/auth';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';
import { BootstrapClientsSchema, type CreateClientDto } from './oauth.dto';
import { OAuthClientsError } from './oauth.exception';
import { OAuthClientEntity } from './oauth-client.entity';
import { RevocationsMirror } from './revocations.mirror';

export const toClientView = (c: OAuthClientEntity) => ({
  clientId: c.clientId,
  tenantId: c.tenantId,
  name: c.name,
  scopes: c.scopes,
  createdBy: c.createdBy,
  createdAt: c.createdAt,
  revokedAt: c.revokedAt,
});

/** A secret that is compared only as sha256: hash of a high-entropy random value, as API keys. */
const newSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The issuer's clients (service accounts): tenants' applications created by a platform admin,
 * and the platform's own accounts, which come only from the operator's bootstrap file or from a
 * platform admin: nothing anyone holding the config could mint by itself.
 */
@Injectable()
export class OAuthClientsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(OAuthClientsService.name);

  constructor(
    @InjectRepository(OAuthClientEntity) private readonly clients: Repository<OAuthClientEntity>,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly tenants: TenantRecords,
    private readonly revocations: RevocationsMirror,
  ) {}

  /**
   * Writes the bootstrap file's accounts: a new one is created, a known one takes the file's
   * secret and scopes. A revoked account stays revoked (a new client id replaces it).
   */
  async onApplicationBootstrap(): Promise<void> {
    const file = this.config.issuer.bootstrapClientsFile;
    if (!file) return;
    const accounts = BootstrapClientsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    for (const account of accounts) {
      const known = await this.clients.findOneBy({ clientId: account.clientId });
      if (known && known.tenantId !== PLATFORM_TENANT) throw new Error(`bootstrap client '${account.clientId}' is a tenant's client`);
      await this.clients.save(
        this.clients.create({
          ...(known ?? { createdBy: 'bootstrap', revokedAt: null }),
          clientId: account.clientId,
          tenantId: PLATFORM_TENANT,
          name: account.name ?? account.clientId,
          secretSha256: account.secretSha256,
          scopes: account.scopes,
        }),
      );
    }
    this.logger.log({ accounts: accounts.map((a) => a.clientId) }, 'platform accounts from the bootstrap file');
  }

  /** Creates a client; the returned `clientSecret` is the only time it is ever shown. */
  async create(tenantId: string, dto: CreateClientDto, actor: string) {
    const platform = tenantId === PLATFORM_TENANT;
    if (!platform) await this.tenants.get(tenantId);
    const allowed: readonly string[] = platform ? PLATFORM_SCOPES : TENANT_SCOPES;
    const refused = dto.scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw OAuthClientsError.scopesNotAllowed(tenantId, refused);
    const clientSecret = newSecret();
    const entity = await this.clients.save(
      this.clients.create({
        clientId: `${tenantId.replace(/^_/, '')}.${randomBytes(6).toString('hex')}`,
        tenantId,
        name: dto.name,
        scopes: [...new Set(dto.scopes)],
        secretSha256: sha256Hex(clientSecret),
        createdBy: actor,
        revokedAt: null,
      }),
    );
    this.logger.log({ tenant: tenantId, clientId: entity.clientId, scopes: entity.scopes }, 'client created');
    return { ...toClientView(entity), clientSecret };
  }

  async list(tenantId: string): Promise<OAuthClientEntity[]> {
    if (tenantId !== PLATFORM_TENANT) await this.tenants.get(tenantId);
    return this.clients.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** The tenant's clients not revoked (a tenant is deleted only with none). */
  countLive(tenantId: string): Promise<number> {
    return this.clients.countBy({ tenantId, revokedAt: IsNull() });
  }

  /** Revokes a client (idempotent): no new tokens, and its live tokens refused within seconds everywhere. */
  async revoke(tenantId: string, clientId: string): Promise<OAuthClientEntity> {
    const client = await this.clients.findOneBy({ clientId, tenantId });
    if (!client) throw OAuthClientsError.notFound(clientId);
    if (!client.revokedAt) {
      client.revokedAt = new Date();
      await this.clients.save(client);
      this.logger.log({ tenant: tenantId, clientId }, 'client revoked');
    }
    await this.revocations.clientRevoked(client);
    return client;
  }

  /** A client that is not revoked, by id (the account behind a redeemed authorization code). */
  async active(clientId: string): Promise<OAuthClientEntity | null> {
    const client = await this.clients.findOneBy({ clientId });
    return client && !client.revokedAt ? client : null;
  }

  /** The client a presented id and secret prove, or null (unknown, wrong secret, or revoked). */
  async authenticate(clientId: string, secret: string): Promise<OAuthClientEntity | null> {
    const client = await this.clients.findOneBy({ clientId });
    if (!client || client.revokedAt || !secretMatches(secret, client.secretSha256)) return null;
    return client;
  }
}

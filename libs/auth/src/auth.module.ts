import { DynamicModule, Global, Module, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createRedis, type RedisEndpoint } from '@falaj/messaging';
import { AccessTokenVerifier, type AccessTokenVerifierOptions } from './access-token.verifier';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { RevocationList } from './revocation.list';
import type { TrustedIssuer } from './trusted-issuer';

export interface AuthModuleOptions extends Omit<AccessTokenVerifierOptions, 'revocations'> {
  /** The issuers whose access tokens the app accepts; the built-in issuer among them. */
  issuers: TrustedIssuer[];
  /** Follows the built-in issuer's revocations in Redis (every app that serves callers). */
  revocations?: { redis: RedisEndpoint; prefix: string; issuer: string; connectionName: string; refreshMs?: number };
  /** Accept API keys too (apps with Redis pass a RedisApiKeyVerifier); without it, access tokens only. */
  apiKeys?: { inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[]; useFactory: (...deps: never[]) => ApiKeyVerifier };
}

/** Starts and stops what the verifier follows (the revocation list's Redis connections). */
class RevocationFollower implements OnModuleInit, OnApplicationShutdown {
  constructor(readonly list: RevocationList | undefined) {}
  async onModuleInit(): Promise<void> {
    await this.list?.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.list?.stop();
  }
}

@Global()
@Module({})
export class AuthModule {
  /** Installs the global guard; every app that serves HTTP imports this once. */
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const { issuers, revocations, apiKeys, ...verifier } = options;
    const list = revocations
      ? new RevocationList(
          createRedis(revocations.redis, `${revocations.connectionName}:revocations`),
          createRedis(revocations.redis, `${revocations.connectionName}:revocations-sub`),
          revocations.prefix,
          revocations.issuer,
          revocations.refreshMs,
        )
      : undefined;
    const providers: Provider[] = [
      { provide: RevocationFollower, useValue: new RevocationFollower(list) },
      { provide: AccessTokenVerifier, useValue: new AccessTokenVerifier(issuers, { ...verifier, revocations: list }) },
      Authenticator,
      { provide: APP_GUARD, useClass: AuthGuard },
    ];
    if (apiKeys) providers.push({ provide: ApiKeyVerifier, inject: apiKeys.inject ?? [], useFactory: apiKeys.useFactory });
    return {
      module: AuthModule,
      providers,
      exports: [AccessTokenVerifier, Authenticator, ...(apiKeys ? [ApiKeyVerifier] : [])],
    };
  }
}

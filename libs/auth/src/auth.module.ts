import { DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { TokenService } from './token.service';

export interface AuthModuleOptions {
  /** Accept API keys too (apps with Redis pass a RedisApiKeyVerifier); without it, JWTs only. */
  apiKeys?: { inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[]; useFactory: (...deps: never[]) => ApiKeyVerifier };
}

@Global()
@Module({})
export class AuthModule {
  /** Installs the global guard; every app that serves HTTP imports this once. */
  static forRoot(secret: string, options: AuthModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: TokenService, useValue: new TokenService(secret) },
      Authenticator,
      { provide: APP_GUARD, useClass: AuthGuard },
    ];
    if (options.apiKeys) providers.push({ provide: ApiKeyVerifier, inject: options.apiKeys.inject ?? [], useFactory: options.apiKeys.useFactory });
    return {
      module: AuthModule,
      providers,
      exports: [TokenService, Authenticator, ...(options.apiKeys ? [ApiKeyVerifier] : [])],
    };
  }
}

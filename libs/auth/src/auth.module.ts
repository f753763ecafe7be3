import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { TokenService } from './token.service';

@Global()
@Module({})
export class AuthModule {
  /** Installs the global guard; every app that serves HTTP imports this once. */
  static forRoot(secret: string): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: TokenService, useValue: new TokenService(secret) },
        Authenticator,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenService, Authenticator],
    };
  }
}

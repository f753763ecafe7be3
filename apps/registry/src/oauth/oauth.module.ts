import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsService } from './oauth-clients.service';
import { AuthorizeController } from './authorize.controller';
import { AuthorizationCodesStore } from './authorization-codes.store';
import { OAuthController } from './oauth.controller';
import { RevocationsMirror } from './revocations.mirror';
import { RevokedTokenEntity } from './revoked-token.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeysController } from './signing-keys.controller';
import { SigningKeysService } from './signing-keys.service';
import { TokenIssuerService } from './token-issuer.service';

/** The built-in OAuth2 issuer: clients, signing keys, tokens, revocations, the console's sign-in. */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthClientEntity, SigningKeyEntity, RevokedTokenEntity]), TenantRecordsModule],
  controllers: [OAuthController, AuthorizeController, OAuthClientsController, SigningKeysController],
  providers: [AuthorizationCodesStore, OAuthClientsService, SigningKeysService, TokenIssuerService, RevocationsMirror],
  exports: [OAuthClientsService],
})
export class OAuthModule {}

import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ALL_SCOPES, Public } from '@falaj/auth';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { CONSOLE_CLIENT_ID, redemptionProblem } from './authorization-code.policy';
import { AuthorizationCodesStore } from './authorization-codes.store';
import { clientCredentialsOf } from './client-authentication';
import { RevocationRequestSchema, TokenRequestSchema, type TokenRequest } from './oauth.dto';
import { OAuthProtocolError } from './oauth.exception';
import { OAuthClientsService } from './oauth-clients.service';
import { SigningKeysService } from './signing-keys.service';
import { TokenIssuerService } from './token-issuer.service';

/**
 * The built-in OAuth2 authorization server: the client-credentials grant (RFC 6749 §4.4), the
 * authorization-code grant with PKCE for the console (§4.1, RFC 7636; see AuthorizeController), token
 * revocation (RFC 7009), its key set (RFC 7517) and its metadata (OpenID Connect Discovery /
 * RFC 8414). These are the only routes that authenticate clients themselves: public to the guard.
 */
@ApiTags('oauth')
@Controller()
@Public()
export class OAuthController {
  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly clients: OAuthClientsService,
    private readonly issuer: TokenIssuerService,
    private readonly keys: SigningKeysService,
    private readonly codes: AuthorizationCodesStore,
  ) {}

  @Get('.well-known/openid-configuration')
  @ApiOperation({ summary: "The issuer's metadata: its token, revocation and key-set endpoints" })
  discovery() {
    const issuer = this.config.issuer.url;
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials', 'authorization_code'],
      // `none`: the console, a public client, proves its code with PKCE instead of a secret.
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: [...ALL_SCOPES],
    };
  }

  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: 'The public keys that verify its access tokens (ES256), the next and retiring ones included' })
  jwks(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('cache-control', 'public, max-age=60');
    return this.keys.jwks();
  }

  @Post('oauth2/token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'An access token by the client-credentials grant, or by an authorization code with its PKCE verifier',
    description:
      'Form body `grant_type=client_credentials[&scope=…]`, the client authenticated by HTTP Basic (or client_id and client_secret in the body); ' +
      'or `grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=…&client_id=falaj-console` (the console, a public client: no secret).',
  })
  @ApiOkResponse({ schema: { example: { access_token: 'eyJhbGciOiJFUzI1NiIs…', token_type: 'Bearer', expires_in: 900, scope: 'infer models:read' } } })
  async token(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    await this.answer(reply, async () => {
      const form = TokenRequestSchema.safeParse(body ?? {});
      if (!form.success) throw new OAuthProtocolError(400, 'invalid_request', form.error.issues[0].message);
      if (form.data.grant_type === 'authorization_code') return this.redeem(authorization, form.data);
      const client = await this.authenticated(authorization, form.data);
      if (form.data.grant_type !== 'client_credentials') throw new OAuthProtocolError(400, 'unsupported_grant_type', 'only client_credentials and authorization_code are supported');
      return this.issuer.issue(client, form.data.scope);
    });
  }

  @Post('oauth2/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke one of the client's access tokens (RFC 7009); refused everywhere within seconds" })
  async revoke(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    await this.answer(reply, async () => {
      const form = RevocationRequestSchema.safeParse(body ?? {});
      if (!form.success) throw new OAuthProtocolError(400, 'invalid_request', form.error.issues[0].message);
      const client = await this.authenticated(authorization, form.data);
      await this.issuer.revoke(client, form.data.token);
      return {};
    });
  }

  /**
   * RFC 6749 §4.1.3 for the console: a public client, so no client authentication; the code is
   * taken once (even a failed redemption spends it), then its client, redirect URI, expiry and
   * PKCE verifier are checked. The token is the signed-in account's, as if it had asked itself.
   */
  private async redeem(authorization: string | undefined, form: TokenRequest) {
    if (authorization !== undefined || form.client_secret !== undefined) throw new OAuthProtocolError(401, 'invalid_client', 'the console is a public client: send client_id only, no secret');
    if (form.client_id !== CONSOLE_CLIENT_ID) throw new OAuthProtocolError(401, 'invalid_client', 'only the console redeems authorization codes');
    const grant = await this.codes.take(form.code ?? '');
    const problem = redemptionProblem(grant, { clientId: form.client_id, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier }, Date.now());
    if (problem) throw new OAuthProtocolError(400, 'invalid_grant', problem);
    const account = await this.clients.active(grant!.accountId);
    if (!account) throw new OAuthProtocolError(400, 'invalid_grant', 'the account that signed in has been revoked');
    return this.issuer.issue(account, grant!.scope, CONSOLE_CLIENT_ID);
  }

  private async authenticated(authorization: string | undefined, body: { client_id?: string; client_secret?: string }) {
    const { clientId, secret } = clientCredentialsOf(authorization, body);
    const client = await this.clients.authenticate(clientId, secret);
    if (!client) throw new OAuthProtocolError(401, 'invalid_client', 'unknown client, wrong secret, or revoked');
    return client;
  }

  /** RFC 6749 §5.1/§5.2: `no-store`, and errors as `{ error, error_description }`. */
  private async answer(reply: FastifyReply, produce: () => Promise<object>): Promise<void> {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      await reply.status(200).send(await produce());
    } catch (error) {
      if (!(error instanceof OAuthProtocolError)) throw error;
      if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="falaj"');
      await reply.status(error.status).send({ error: error.code, error_description: error.message });
    }
  }
}

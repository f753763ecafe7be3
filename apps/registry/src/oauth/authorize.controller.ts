import { Body, Controller, Get, Inject, Logger, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@falaj/auth';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { CODE_TTL_MS, authorizationProblem, type AuthorizationRequest } from './authorization-code.policy';
import { AuthorizationCodesStore } from './authorization-codes.store';
import { AuthorizationRequestSchema, SignInFormSchema } from './oauth.dto';
import { OAuthClientsService } from './oauth-clients.service';
import { SIGN_IN_CSP, refusalPage, signInPage } from './sign-in.page';

/**
 * The authorization endpoint (RFC 6749 §4.1, with PKCE, RFC 7636) for the web console: a sign-in
 * page, and on a good sign-in a one-time code sent to the console's registered redirect URI.
 * The user is a tenant's account (an OAuth client and its secret): the platform's one credential
 * for people and programs alike, so every token still names an account an admin created and can
 * revoke. A browser page, not an API: left out of the OpenAPI document.
 */
@ApiExcludeController()
@Controller('oauth2/authorize')
@Public()
export class AuthorizeController {
  private readonly logger = new Logger(AuthorizeController.name);

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly clients: OAuthClientsService,
    private readonly codes: AuthorizationCodesStore,
  ) {}

  @Get()
  async page(@Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const request = this.requestOf(query);
    if (!(await this.refused(request, reply))) await this.html(reply, 200, signInPage(request!));
  }

  @Post()
  async signIn(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const form = SignInFormSchema.safeParse(body ?? {});
    const request = form.success ? form.data : null;
    if (await this.refused(request, reply)) return;
    const account = await this.clients.authenticate(form.data!.account_id, form.data!.account_secret);
    if (!account) {
      this.logger.warn({ accountId: form.data!.account_id }, 'console sign-in refused');
      return this.html(reply, 401, signInPage(request!, 'Unknown account, wrong secret, or revoked.'));
    }
    const code = await this.codes.issue({
      clientId: request!.client_id!,
      redirectUri: request!.redirect_uri!,
      codeChallenge: request!.code_challenge!,
      accountId: account.clientId,
      ...(request!.scope ? { scope: request!.scope } : {}),
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    this.logger.log({ accountId: account.clientId, tenant: account.tenantId }, 'console sign-in: code issued');
    // 303: the browser follows with a GET; `iss` names the issuer (RFC 9207, mix-up defence).
    await this.back(reply, request!, { code, iss: this.config.issuer.url });
  }

  private requestOf(query: unknown): AuthorizationRequest | null {
    const parsed = AuthorizationRequestSchema.safeParse(query ?? {});
    return parsed.success ? parsed.data : null;
  }

  /** True when the request was answered: a page for an unknown client or URI, a redirect with the error otherwise. */
  private async refused(request: AuthorizationRequest | null, reply: FastifyReply): Promise<boolean> {
    if (!request) {
      await this.html(reply, 400, refusalPage('malformed authorization request'));
      return true;
    }
    const problem = authorizationProblem(request, this.config.issuer.consoleRedirectUris);
    if (!problem) return false;
    if (problem.kind === 'show') await this.html(reply, 400, refusalPage(problem.message));
    else await this.back(reply, request, { error: problem.error, error_description: problem.description });
    return true;
  }

  private async back(reply: FastifyReply, request: AuthorizationRequest, params: Record<string, string>): Promise<void> {
    const target = new URL(request.redirect_uri!);
    for (const [key, value] of Object.entries({ ...params, ...(request.state !== undefined ? { state: request.state } : {}) })) target.searchParams.set(key, value);
    await reply.header('cache-control', 'no-store').redirect(target.toString(), 303);
  }

  private async html(reply: FastifyReply, status: number, page: string): Promise<void> {
    await reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', SIGN_IN_CSP).send(page);
  }
}

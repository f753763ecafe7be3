import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { request } from 'undici';
import { CliError } from '../cli-error';
import { credentialFile, writeCredential } from '../config-store';
import { EXIT } from '../exit-codes';
import { dispatcherFor, fetchToken } from '../http-client';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';

interface LoginOptions {
  issuer?: string;
  clientId?: string;
  clientSecretFile?: string;
  clientSecretStdin?: boolean;
  scope?: string;
}

/** The claims worth showing (the token is never printed): read, not verified: the gateway verifies it. */
function claimsOf(token: string): { tenant?: string; scope?: string; residency?: string; sub?: string } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as ReturnType<typeof claimsOf>;
  } catch {
    return {};
  }
}

function secretOf(options: LoginOptions): string {
  // Never a command-line value: argv is readable by every user of the machine (ps).
  if (options.clientSecretFile) {
    try {
      return readFileSync(options.clientSecretFile, 'utf8').trim();
    } catch (error) {
      throw CliError.usage(`cannot read the client secret file ${options.clientSecretFile} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  if (options.clientSecretStdin) return readFileSync(0, 'utf8').trim();
  if (process.env.FALAJ_CLIENT_SECRET) return process.env.FALAJ_CLIENT_SECRET;
  throw CliError.usage('no client secret', 'give it with --client-secret-file FILE, --client-secret-stdin, or FALAJ_CLIENT_SECRET');
}

export function registerLogin(program: Command, rt: Runtime): void {
  program
    .command('login')
    .description('sign in with an OAuth2 client (client credentials) and keep the credential (mode 600) for the other commands')
    .option('--issuer <url>', "the OAuth2 issuer (FALAJ_ISSUER_URL; the registry's built-in one by default)")
    .option('--client-id <id>', 'the client id (FALAJ_CLIENT_ID)')
    .option('--client-secret-file <file>', 'read the client secret from a file')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--scope <scopes>', 'ask for fewer scopes than the client holds (space-separated)')
    .action(async (options: LoginOptions) => {
      const gateway = rt.options.gateway ?? process.env.FALAJ_GATEWAY_URL;
      if (!gateway) throw CliError.usage('no gateway address', 'give it with --gateway URL or FALAJ_GATEWAY_URL (npm start: https://127.0.0.1:8080)');
      const issuer = (options.issuer ?? process.env.FALAJ_ISSUER_URL ?? 'https://127.0.0.1:8081').replace(/\/$/, '');
      const clientId = options.clientId ?? process.env.FALAJ_CLIENT_ID;
      if (!clientId) throw CliError.usage('no client id', 'give it with --client-id ID or FALAJ_CLIENT_ID');
      const clientSecret = secretOf(options);
      const caFile = rt.caFile();
      const dispatcher = dispatcherFor(caFile);

      // The issuer's metadata names its token endpoint and grants (RFC 8414 / OIDC discovery).
      const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
      let metadata: { token_endpoint?: string; grant_types_supported?: string[] };
      try {
        const response = await request(discoveryUrl, { dispatcher, headers: { accept: 'application/json' } });
        if (response.statusCode !== 200) {
          await response.body.dump();
          throw new CliError(`the issuer's metadata at ${discoveryUrl} answered HTTP ${response.statusCode}`, EXIT.unavailable, 'check --issuer (FALAJ_ISSUER_URL)');
        }
        metadata = (await response.body.json()) as typeof metadata;
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw CliError.fromNetwork(error, discoveryUrl);
      }
      const grants = metadata.grant_types_supported ?? ['client_credentials'];
      if (!grants.includes('client_credentials')) {
        throw new CliError(
          `the issuer ${issuer} does not offer the client-credentials grant (it offers ${grants.join(', ')})`,
          EXIT.refused,
          'use a client of an issuer that does: the built-in one does',
        );
      }
      const tokenEndpoint = metadata.token_endpoint ?? `${issuer}/oauth2/token`;
      const token = await fetchToken(tokenEndpoint, clientId, clientSecret, options.scope, dispatcher);

      // The gateway must accept it: a wrong --gateway or an issuer it does not trust shows now, not at the first real command.
      let status: number;
      try {
        const response = await request(new URL('/v2', gateway).toString(), { dispatcher, headers: { authorization: `Bearer ${token.accessToken}` } });
        status = response.statusCode;
        await response.body.dump();
      } catch (error) {
        throw CliError.fromNetwork(error, gateway);
      }
      if (status === 401)
        throw new CliError(
          `the gateway ${gateway} refused the token of ${issuer}`,
          EXIT.auth,
          "the gateway does not trust this issuer: check --issuer against the gateway's FALAJ_ISSUER_URL / FALAJ_TRUSTED_ISSUERS",
        );
      if (status >= 500) throw new CliError(`the gateway ${gateway} answered HTTP ${status}`, EXIT.unavailable, 'retry once the apps are up');

      writeCredential(rt.configDir, {
        gateway,
        issuer,
        tokenEndpoint,
        clientId,
        clientSecret,
        ...(options.scope ? { scope: options.scope } : {}),
        ...(caFile ? { caFile } : {}),
        accessToken: token.accessToken,
        expiresAt: token.expiresAt,
      });
      const claims = claimsOf(token.accessToken);
      const view = {
        gateway,
        issuer,
        clientId,
        tenant: claims.tenant ?? null,
        residency: claims.residency ?? null,
        scopes: (token.scope ?? claims.scope ?? '').split(' ').filter(Boolean),
        grantTypes: grants,
        expiresAt: new Date(token.expiresAt).toISOString(),
        credentialFile: credentialFile(rt.configDir),
      };
      rt.print(view, () =>
        renderTable(
          ['signed in', ''],
          [
            ['gateway', gateway],
            ['client', `${clientId} (tenant ${view.tenant ?? '-'}, residency ${view.residency ?? '-'})`],
            ['scopes', view.scopes.join(' ')],
            ['token until', view.expiresAt],
            ['kept in', `${view.credentialFile} (mode 600)`],
          ],
        ),
      );
    });
}

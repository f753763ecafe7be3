import { z } from 'zod';
import { PLATFORM_SCOPES, TENANT_SCOPES } from '@falaj/auth';

const ANY_SCOPE = [...TENANT_SCOPES, ...PLATFORM_SCOPES] as [string, ...string[]];

export const CreateClientSchema = z
  .object({
    name: z.string().min(1).max(200),
    /** A tenant's account takes tenant scopes; a `_platform` account, platform scopes. */
    scopes: z.array(z.enum(ANY_SCOPE)).min(1),
  })
  .strict();
export type CreateClientDto = z.infer<typeof CreateClientSchema>;

/** The operator's file of platform accounts (FALAJ_BOOTSTRAP_CLIENTS_FILE): hashes, never secrets. */
export const BootstrapClientsSchema = z.array(
  z
    .object({
      clientId: z.string().regex(/^[a-zA-Z0-9_.-]{3,100}$/),
      name: z.string().min(1).max(200).optional(),
      secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
      scopes: z.array(z.enum(PLATFORM_SCOPES)).min(1),
    })
    .strict(),
);
export type BootstrapClient = z.infer<typeof BootstrapClientsSchema>[number];

/** RFC 6749 §4.4.2 (and §2.3.1's client_secret_post), as the urlencoded form arrives. */
export const TokenRequestSchema = z
  .object({
    grant_type: z.string().min(1, 'grant_type is required'),
    scope: z.string().max(1000).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(200).optional(),
    /** grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.5). */
    code: z.string().max(200).optional(),
    redirect_uri: z.string().max(2000).optional(),
    code_verifier: z.string().max(200).optional(),
  })
  .loose();
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

/** RFC 6749 §4.1.1 and RFC 7636 §4.3, as the authorization endpoint's query carries them. */
export const AuthorizationRequestSchema = z
  .object({
    response_type: z.string().max(50).optional(),
    client_id: z.string().max(200).optional(),
    redirect_uri: z.string().max(2000).optional(),
    code_challenge: z.string().max(200).optional(),
    code_challenge_method: z.string().max(20).optional(),
    state: z.string().max(1000).optional(),
    scope: z.string().max(1000).optional(),
  })
  .loose();

/** The sign-in form: the authorization request again (hidden fields) and the account's id and secret. */
export const SignInFormSchema = AuthorizationRequestSchema.extend({
  account_id: z.string().min(1).max(200),
  account_secret: z.string().min(1).max(200),
});

/** RFC 7009 §2.1. */
export const RevocationRequestSchema = z
  .object({
    token: z.string().min(1, 'token is required').max(8192),
    token_type_hint: z.string().max(50).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(200).optional(),
  })
  .loose();

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
  })
  .loose();

/** RFC 7009 §2.1. */
export const RevocationRequestSchema = z
  .object({
    token: z.string().min(1, 'token is required').max(8192),
    token_type_hint: z.string().max(50).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(200).optional(),
  })
  .loose();

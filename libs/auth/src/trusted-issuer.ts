import { z } from 'zod';
import { InvalidTokenError } from './invalid-token.error';
import type { Principal } from './principal';
import { ALL_SCOPES, PLATFORM_SCOPES, PLATFORM_TENANT, TENANT_SCOPES } from './scopes';

const isPlatformScope = (scope: string): boolean => (PLATFORM_SCOPES as readonly string[]).includes(scope);

/** Asymmetric JWS algorithms only: a verifier never holds a secret that could also sign. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const TENANT_ID = /^[a-z][a-z0-9-]{1,62}$/;
/** A dotted path into the claims (`tenant`, `realm_access.roles`, `ext.falaj.tenant`). */
const ClaimPathSchema = z.string().regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, 'a dotted claim path');

/**
 * An issuer whose access tokens an app accepts (RFC 9068 JWT access tokens), and how its claims
 * become a Falaj principal. The built-in issuer is one; an enterprise IdP such as Keycloak is
 * another, configured in `FALAJ_TRUSTED_ISSUERS`.
 */
export const TrustedIssuerSchema = z
  .object({
    /** The `iss` value, exactly; discovery is read from `<issuer>/.well-known/openid-configuration`. */
    issuer: z.url({ protocol: /^https?$/ }),
    /** Skips discovery where the IdP publishes no OIDC document. */
    jwksUri: z.url({ protocol: /^https?$/ }).optional(),
    /** At least one must be in the token's `aud`. */
    audiences: z.array(z.string().min(1)).min(1).default(['falaj']),
    algorithms: z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
    claims: z
      .object({
        subject: ClaimPathSchema.default('sub'),
        /** Where the tenant id is; unset with `tenant` fixed, every token of the issuer is that tenant's. */
        tenant: ClaimPathSchema.default('tenant'),
        /** A space-separated string (OAuth's `scope`) or an array of strings (roles). */
        scopes: ClaimPathSchema.default('scope'),
        residency: ClaimPathSchema.default('residency'),
      })
      .strict()
      .default({ subject: 'sub', tenant: 'tenant', scopes: 'scope', residency: 'residency' }),
    /** Every token of this issuer belongs to this tenant (a tenant's own IdP). */
    tenant: z.string().regex(TENANT_ID).optional(),
    /** The tenants this issuer may speak for; unset: any tenant (only sensible for the platform's own issuer). */
    tenants: z.array(z.string().regex(TENANT_ID)).min(1).optional(),
    /** What its tokens may grant; scopes outside it are ignored. Platform scopes only where set explicitly. */
    allowedScopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).default([...TENANT_SCOPES]),
    /**
     * Which CAs its HTTPS discovery and keys are verified against: `system` (the machine's, for an
     * IdP with a public certificate) or `platform` (FALAJ_TLS_CA_FILE only, as the built-in issuer is).
     */
    tlsTrust: z.enum(['system', 'platform']).default('system'),
  })
  .strict();
export type TrustedIssuer = z.output<typeof TrustedIssuerSchema>;
export type TrustedIssuerInput = z.input<typeof TrustedIssuerSchema>;

export const TrustedIssuersSchema = z.array(TrustedIssuerSchema);

/** The value at a dotted path of the claims, or undefined. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path]; // a flat claim whose name has dots (`https://x/tenant`) wins
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The principal an issuer's verified claims stand for. Refuses a token whose tenant is missing
 * or outside the issuer's tenants; keeps only scopes the issuer may grant; a platform tenant is
 * only accepted where the issuer may grant platform scopes.
 */
export function principalOf(issuer: TrustedIssuer, claims: Record<string, unknown>): Principal {
  const subject = claimAt(claims, issuer.claims.subject);
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 200) throw new InvalidTokenError('token lacks its subject');
  const claimed = claimAt(claims, issuer.claims.tenant);
  const tenantId = issuer.tenant ?? claimed;
  if (typeof tenantId !== 'string') throw new InvalidTokenError('token lacks its tenant');
  if (issuer.tenant && claimed !== undefined && claimed !== issuer.tenant) throw new InvalidTokenError('token names a tenant its issuer does not speak for');
  const platform = tenantId === PLATFORM_TENANT;
  const speaksFor = platform ? issuer.allowedScopes.some(isPlatformScope) : TENANT_ID.test(tenantId) && (!issuer.tenants || issuer.tenants.includes(tenantId));
  if (!speaksFor) throw new InvalidTokenError('token names a tenant its issuer does not speak for');

  const raw = claimAt(claims, issuer.claims.scopes);
  const presented = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
  // A tenant's token never carries platform scopes, whatever its issuer may grant.
  const grantable = platform ? issuer.allowedScopes : issuer.allowedScopes.filter((s) => !isPlatformScope(s));
  const scopes = [...new Set(presented.filter((s) => grantable.includes(s)))];

  const principal: Principal = { subject, tenantId, scopes, issuer: issuer.issuer };
  const residency = claimAt(claims, issuer.claims.residency);
  if (typeof residency === 'string' && residency.length > 0) principal.residency = residency;
  return principal;
}

/** What a credential may do. Tokens carry a list; routes require one or more. */
export const SCOPES = {
  infer: 'infer',
  modelsRead: 'models:read',
  modelsWrite: 'models:write',
  /** Sets a model's deployment spec (versions, weights, hardware, serving settings). */
  deploymentsWrite: 'deployments:write',
  auditRead: 'audit:read',
  /** Erases a data subject's records in the tenant (POST /admin/audit/erasure). */
  auditErase: 'audit:erase',
  /** Pins a request to a version with `x-falaj-pin-version`, over the weighted split (testing). */
  versionsPin: 'versions:pin',
  /** Creates tenants and their service accounts, rotates the issuer's keys. */
  platformAdmin: 'platform:admin',
  /** Service identities (workers) fetching model artifacts from the registry. */
  artifactsRead: 'artifacts:read',
  /** Reads a worker's status: its pool and the tenants' versions it hosts (operators, services). */
  workersRead: 'workers:read',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** Scopes a tenant's credential may hold: never a platform or service scope. */
export const TENANT_SCOPES = [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.deploymentsWrite, SCOPES.auditRead, SCOPES.auditErase, SCOPES.versionsPin] as const;
export type TenantScope = (typeof TENANT_SCOPES)[number];

/** Scopes only accounts of the platform itself hold (its operators and its apps). */
export const PLATFORM_SCOPES = [SCOPES.platformAdmin, SCOPES.artifactsRead, SCOPES.workersRead] as const;

export const ALL_SCOPES: readonly Scope[] = [...TENANT_SCOPES, ...PLATFORM_SCOPES];

/** The tenant id that platform accounts (operators, the apps' own identities) carry. */
export const PLATFORM_TENANT = '_platform';

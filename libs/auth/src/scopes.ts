/** What a credential may do. Tokens carry a list; routes require one or more. */
export const SCOPES = {
  infer: 'infer',
  modelsRead: 'models:read',
  modelsWrite: 'models:write',
  /** Sets a model's deployment spec (versions, weights, hardware, serving settings). */
  deploymentsWrite: 'deployments:write',
  auditRead: 'audit:read',
  /** Creates tenants and mints their credentials. */
  platformAdmin: 'platform:admin',
  /** Service identities (workers) fetching model artifacts from the registry. */
  artifactsRead: 'artifacts:read',
  /** Pins a request to a version with `x-falaj-pin-version`, over the weighted split (testing). */
  versionsPin: 'versions:pin',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

import { z } from 'zod';

/**
 * Redis hash of the tenants' audit policies set through the registry's admin API (Postgres is
 * the truth): one field per tenant that must be audited (`<tenantId>`), the value the policy as
 * JSON; a tenant without a field is audited on a best-effort basis. Rewritten whole at registry
 * boot; the gateways read it into memory, so the request path never asks Redis.
 */
export const auditPoliciesKey = (prefix: string): string => `${prefix}:audit-policies:v1`;
/** Pub/sub channel on which the registry announces a changed policy (the message is the tenant id). */
export const auditPoliciesChangedChannel = (prefix: string): string => `${prefix}:audit-policies:v1:changed`;

/**
 * `mustAudit`: a call of the tenant whose audit event cannot be made durable (the gateway's
 * spool full or unwritable) is refused rather than served, and no answer leaves before its event
 * is on disk.
 */
export const AuditPolicySchema = z.object({ mustAudit: z.boolean() }).strict();
export type AuditPolicy = z.infer<typeof AuditPolicySchema>;

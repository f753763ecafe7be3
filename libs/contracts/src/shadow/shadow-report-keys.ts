/**
 * Where a deployment's shadow comparisons are kept: a hash of counters per shadow version, and a
 * list of recent latency samples per side beside it. The gateway writes them (one Lua script per
 * pair), the registry reads them for the deployment's shadow report.
 */
export const shadowReportKey = (prefix: string, tenantId: string, model: string, shadowVersion: number): string => `${prefix}:shadow:v1:${tenantId}/${model}/${shadowVersion}`;
export const shadowLatencyKey = (prefix: string, tenantId: string, model: string, shadowVersion: number, side: 'primary' | 'shadow'): string =>
  `${shadowReportKey(prefix, tenantId, model, shadowVersion)}:${side}Ms`;
/** Every shadow report's keys (the Redis ACL's pattern; redis-keys.spec.ts checks it matches the keys). */
export const shadowReportsPattern = (prefix: string): string => `${prefix}:shadow:v1:*`;

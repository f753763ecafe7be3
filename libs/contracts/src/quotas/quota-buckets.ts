/**
 * The quota token buckets (libs/routing's TokenBuckets): one Redis hash per bucket, shared by every
 * gateway, router and job runner, drawn from by one Lua script. A bucket is a tenant's (`t:<id>`)
 * or a tenant's model's (`m:<tenant>/<model>`).
 */
export const tenantQuotaBucket = (tenantId: string): string => `t:${tenantId}`;
export const modelQuotaBucket = (tenantId: string, model: string): string => `m:${tenantId}/${model}`;
/** The key of one bucket, named by tenantQuotaBucket or modelQuotaBucket. */
export const quotaBucketKey = (prefix: string, bucket: string): string => `${prefix}:quota:v1:${bucket}`;
/** Every bucket (the Redis ACL's pattern). */
export const quotaBucketsPattern = (prefix: string): string => quotaBucketKey(prefix, '*');

import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { REDIS_APP_ROLES, redisAclRules, redisUsername, type RedisAppRole } from './redis-acl.policy';

/**
 * Gives Redis the ACL users of one prefix, one per app class, as redis-acl.policy.ts says
 * (through an admin connection). Redis keeps only each password's SHA-256. Idempotent: a user
 * that exists is reset to the policy.
 */
export async function applyRedisAcl(admin: Redis, prefix: string, passwords: Record<RedisAppRole, string>): Promise<string[]> {
  const users: string[] = [];
  for (const role of REDIS_APP_ROLES) {
    const sha256 = createHash('sha256').update(passwords[role]).digest('hex');
    await admin.call('ACL', 'SETUSER', redisUsername(prefix, role), ...redisAclRules(prefix, role, sha256));
    users.push(redisUsername(prefix, role));
  }
  return users;
}

/** Removes the prefix's users; Redis closes their connections. */
export async function removeRedisAcl(admin: Redis, prefix: string): Promise<void> {
  await admin.call('ACL', 'DELUSER', ...REDIS_APP_ROLES.map((role) => redisUsername(prefix, role)));
}

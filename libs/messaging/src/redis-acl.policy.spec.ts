import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REDIS_APP_ROLES, redisAclRules, redisGrants, type KeyAccess, type RedisAppRole } from './redis-acl.policy';

const P = 'falaj';
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
const covers = (granted: KeyAccess, wanted: KeyAccess) => granted === 'RW' || granted === wanted;

/** Whether the policy lets an app class run a command on a key with that access (what Redis' selectors decide). */
function may(role: RedisAppRole, command: string, key: string, access: KeyAccess): boolean {
  return redisGrants(P, role).some((g) => g.commands.includes(`+${command}`) && g.keys.some((k) => glob(k.pattern).test(key) && covers(k.access, access)));
}

/** Every template literal of the apps and libs that builds a Redis key or channel from the prefix. */
function keyTemplatesInCode(): { file: string; key: string }[] {
  const root = join(__dirname, '..', '..', '..');
  const found: { file: string; key: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'node_modules' && name !== 'testing') walk(path);
      } else if (name.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(name)) {
        for (const match of readFileSync(path, 'utf8').matchAll(/`\$\{[\w.]*prefix\}(:[^`]*)`/gi)) {
          found.push({ file: path.slice(root.length + 1), key: P + match[1].replace(/\$\{[^}]*\}/g, 'x') });
        }
      }
    }
  };
  walk(join(root, 'apps'));
  walk(join(root, 'libs'));
  return found;
}

describe('redis-acl.policy', () => {
  describe('coverage', () => {
    it('covers every key family and channel the code builds from the prefix', () => {
      const templates = keyTemplatesInCode();
      expect(templates.length).toBeGreaterThan(10); // the scan itself works
      const patterns = REDIS_APP_ROLES.flatMap((role) => redisGrants(P, role).flatMap((g) => [...g.keys.map((k) => k.pattern), ...(g.channels ?? [])]));
      // BullMQ builds its keys under the bull prefix itself: `<bull prefix>:<queue>:<key>`.
      const uncovered = templates.map(({ file, key }) => ({ file, key: key.endsWith(':bull') ? `${key}:x:x` : key })).filter(({ key }) => !patterns.some((p) => glob(p).test(key)));
      expect(uncovered).toEqual([]);
    });
  });

  describe('writers', () => {
    it('lets only the gateway, the router and the registry (job rows) add requests to a pool stream', () => {
      const stream = `${P}:pool:cpu.ae:requests`;
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'xadd', stream, 'W'))).toEqual(['gateway', 'router', 'registry']);
      expect(may('worker', 'xreadgroup', stream, 'RW')).toBe(true);
    });

    it('lets only workers add replies', () => {
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'xadd', `${P}:replies:gateway-1:stream`, 'W'))).toEqual(['worker']);
      expect(may('worker', 'xread', `${P}:replies:gateway-1:stream`, 'R')).toBe(false);
    });

    it('lets only the router write the routing table, and only the registry API keys, revocations and quotas', () => {
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'hset', `${P}:routing:v1`, 'W'))).toEqual(['router']);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'hset', `${P}:apikeys:v1`, 'W'))).toEqual(['registry']);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'hset', `${P}:revocations:v1`, 'W'))).toEqual(['registry']);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'hset', `${P}:quotas:v1`, 'W'))).toEqual(['registry']);
    });

    it("lets only the registry keep and redeem the issuer's authorization codes", () => {
      const code = `${P}:oauth-codes:v1:${'ab'.repeat(32)}`;
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'set', code, 'W'))).toEqual(['registry']);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'getdel', code, 'RW'))).toEqual(['registry']);
      // Taken once (GETDEL), never read and left in place.
      expect(may('registry', 'get', code, 'R')).toBe(false);
    });

    it('lets only workers write heartbeats', () => {
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'set', `${P}:worker:w1`, 'W'))).toEqual(['worker']);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'zadd', `${P}:pool:cpu.ae:workers`, 'W'))).toEqual(['worker']);
    });
  });

  describe('readers', () => {
    it('keeps API-key records and revocations from workers', () => {
      expect(may('worker', 'hget', `${P}:apikeys:v1`, 'R')).toBe(false);
      expect(may('worker', 'hgetall', `${P}:revocations:v1`, 'R')).toBe(false);
      expect(REDIS_APP_ROLES.filter((r) => may(r, 'hget', `${P}:apikeys:v1`, 'R'))).toEqual(['gateway', 'router', 'registry']);
    });

    it('keeps every grant inside its prefix', () => {
      for (const role of REDIS_APP_ROLES) {
        for (const grant of redisGrants(P, role)) {
          for (const k of grant.keys) expect(k.pattern.startsWith(`${P}:`)).toBe(true);
          for (const c of grant.channels ?? []) expect(c.startsWith(`${P}:`)).toBe(true);
        }
      }
    });
  });

  describe('redisAclRules', () => {
    const sha = 'a'.repeat(64);

    it('starts from nothing and gives one selector per grant', () => {
      const rules = redisAclRules(P, 'gateway', sha);
      expect(rules.slice(0, 6)).toEqual(['reset', 'on', `#${sha}`, 'resetkeys', 'resetchannels', '-@all']);
      expect(rules.filter((r) => r.startsWith('('))).toHaveLength(redisGrants(P, 'gateway').length);
      expect(rules).toContain(`(~${P}:pool:*:requests ~${P}:pool:*:requests:bytes +evalsha +eval +xlen +xadd +get +set +incrby +decrby)`);
      expect(rules).toContain(`(%R~${P}:routing:v1 &${P}:routing:v1:changed +hgetall +subscribe +unsubscribe)`);
    });

    it('gives no key, channel or data command outside a selector', () => {
      for (const role of REDIS_APP_ROLES) {
        const root = redisAclRules(P, role, sha).filter((r) => !r.startsWith('('));
        expect(root.filter((r) => /^[%~&]/.test(r) || r === 'allkeys' || r === 'allchannels' || r === '+@all')).toEqual([]);
      }
    });

    it('refuses a password that is not a SHA-256', () => {
      expect(() => redisAclRules(P, 'worker', 'secret')).toThrow('64 lowercase hex');
    });
  });
});

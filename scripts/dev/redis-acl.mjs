// npm start's Redis users: one ACL user per app class (`<prefix>-gateway`, `-router`, `-registry`,
// `-worker`) on the project's TLS Redis, as libs/messaging/src/redis-acl.policy.ts says. Each
// password is made once in FALAJ_SECRETS_DIR (`redis-<class>.password`, mode 600) and the apps
// read it from there; Redis is given only its SHA-256, through the admin named by infra.sh.
// The Redis keeps nothing on disk, so this runs on every start. Needs the build (dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const Redis = require('ioredis');
const { REDIS_APP_ROLES, applyRedisAcl } = require(resolve('dist/libs/messaging/src/index.js'));

const prefix = process.env.FALAJ_PREFIX ?? 'falaj';
const secrets = process.env.FALAJ_SECRETS_DIR ?? '.local/secrets';
const state = join(process.env.FALAJ_STATE_DIR ?? join(homedir(), '.local/state/falaj'), 'redis-tls');
const url = process.env.FALAJ_REDIS_URL ?? `rediss://127.0.0.1:${process.env.FALAJ_REDIS_TLS_PORT ?? 6380}`;

const passwords = {};
for (const role of REDIS_APP_ROLES) {
  const file = join(secrets, `redis-${role}.password`);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  passwords[role] = readFileSync(file, 'utf8').trim();
}

const admin = new Redis(url, {
  username: 'falaj-admin',
  password: readFileSync(join(state, 'admin-password'), 'utf8').trim(),
  tls: { ca: readFileSync(process.env.FALAJ_REDIS_CA_FILE ?? join(state, 'tls/ca.crt')) },
  maxRetriesPerRequest: 1,
  lazyConnect: true,
});
try {
  await admin.connect();
  const users = await applyRedisAcl(admin, prefix, passwords);
  console.log(`redis users ${users.join(', ')} at ${url}`);
} catch (error) {
  console.error(`redis-acl: could not give Redis the apps' users: ${error.message}`);
  process.exitCode = 1;
} finally {
  admin.disconnect();
}

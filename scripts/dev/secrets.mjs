// npm start's secrets, made once in FALAJ_SECRETS_DIR (mode 600, folder 700) and kept: the key
// that encrypts the issuer's private keys, and the platform accounts of the built-in issuer — the
// operator (platform admin) and one client per worker. The registry gets only their hashes, in
// the bootstrap file written here; the apps read their own secret from its file.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.FALAJ_SECRETS_DIR ?? '.local/secrets';
mkdirSync(dir, { recursive: true, mode: 0o700 });
chmodSync(dir, 0o700);

const secretFile = (name) => {
  const path = join(dir, name);
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return path;
};

secretFile('key-encryption-key');
// Payload logging's platform secret (FALAJ_PAYLOAD_KEY): the edges derive each tenant's HMAC and seal keys from it.
secretFile('payload-key');
// The registry's Postgres role (falaj_registry); scripts/dev/postgres-role.cjs sets it on the server.
secretFile('postgres-registry.password');
const ACCOUNTS = [
  { clientId: 'falaj-admin', name: 'operator (npm start)', file: 'falaj-admin.secret', scopes: ['platform:admin', 'workers:read'] },
  { clientId: 'falaj-cpu-worker', name: 'cpu-worker', file: 'falaj-cpu-worker.secret', scopes: ['artifacts:read'] },
  { clientId: 'falaj-gpu-worker', name: 'gpu-worker', file: 'falaj-gpu-worker.secret', scopes: ['artifacts:read'] },
];
const accounts = ACCOUNTS.map(({ clientId, name, file, scopes }) => ({
  clientId,
  name,
  secretSha256: createHash('sha256')
    .update(readFileSync(secretFile(file), 'utf8'))
    .digest('hex'),
  scopes,
}));
writeFileSync(join(dir, 'bootstrap-clients.json'), JSON.stringify(accounts, null, 2) + '\n', { mode: 0o600 });

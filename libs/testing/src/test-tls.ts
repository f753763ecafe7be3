import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { join } from 'node:path';
import { repoRoot } from './repo-root';

/** Every certificate the tests' apps and clients use, one per app (a second CPU worker shares the first's). */
export const TEST_CERTIFICATE_NAMES = ['gateway', 'registry', 'router', 'cpu-worker', 'gpu-worker', 'e2e-client', 'partner-idp'] as const;

/**
 * The tests' CA and certificates: `.local/tls-test` (or FALAJ_TEST_TLS_DIR), one fixed folder so
 * the test process can trust the CA before any suite starts (test/support/node-typed-array-environment.js
 * installs that trust in every test file's realm; NODE_EXTRA_CA_CERTS would have to be set before node starts).
 */
export function testTlsDir(): string {
  return process.env.FALAJ_TEST_TLS_DIR ?? join(repoRoot(), '.local', 'tls-test');
}

/** Makes the CA and certificates (scripts/dev/ca.sh, idempotent) in a folder; the folder. */
export function ensureCertificates(dir: string, names: readonly string[] = TEST_CERTIFICATE_NAMES): string {
  execFileSync('bash', [join(repoRoot(), 'scripts/dev/ca.sh'), dir, ...names], { stdio: ['ignore', 'ignore', 'pipe'] });
  return dir;
}

/**
 * For a process outside Jest (the benchmark): `fetch` trusts the system's CAs plus the tests' CA
 * and presents the tests' client certificate, as the Jest environment arranges for the tests.
 */
export function trustTestCa(dir: string = testTlsDir()): void {
  ensureCertificates(dir);
  setGlobalDispatcher(
    new Agent({ connect: { ca: [...rootCertificates, readFileSync(join(dir, 'ca.crt'), 'utf8')], cert: readFileSync(join(dir, 'e2e-client.crt')), key: readFileSync(join(dir, 'e2e-client.key')) } }),
  );
}

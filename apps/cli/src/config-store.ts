import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What `falaj login` keeps: where the gateway and the issuer are, the client (its secret too,
 * because the client-credentials grant has no refresh token: a lapsed token is fetched again
 * with it), and the current access token. One file, mode 600, in a folder of mode 700.
 */
export interface StoredCredential {
  gateway: string;
  issuer: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  caFile?: string;
  accessToken?: string;
  /** Epoch ms. */
  expiresAt?: number;
}

/** FALAJ_CONFIG_DIR, else $XDG_CONFIG_HOME/falaj, else ~/.config/falaj. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FALAJ_CONFIG_DIR) return env.FALAJ_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'falaj');
}

export const credentialFile = (dir: string): string => join(dir, 'credentials.json');

export function readCredential(dir: string): StoredCredential | undefined {
  let text: string;
  try {
    text = readFileSync(credentialFile(dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as StoredCredential;
}

/** Written to a temporary file of mode 600 and renamed over the old one, so no reader sees half a file and no moment has it readable by others. */
export function writeCredential(dir: string, credential: StoredCredential): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = credentialFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

import type { Command } from 'commander';
import { CliError } from './cli-error';
import { configDir, readCredential, type StoredCredential } from './config-store';
import { EXIT } from './exit-codes';
import { FalajClient } from './http-client';
import { renderJson } from './output';

export interface GlobalOptions {
  gateway?: string;
  cacert?: string;
  json?: boolean;
}

/** What every command shares: the global options, the stored credential, the client, the output. */
export class Runtime {
  readonly configDir = configDir();
  private cachedClient?: FalajClient;
  private action?: Command;

  constructor(
    private readonly program: Command,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The command about to run: its own --gateway, --cacert and --json count too. */
  use(action: Command): void {
    this.action = action;
  }

  get options(): GlobalOptions {
    const global = this.program.opts<GlobalOptions>();
    const local = this.action?.opts<GlobalOptions>() ?? {};
    return {
      gateway: local.gateway ?? global.gateway,
      cacert: local.cacert ?? global.cacert,
      // `infer --json FILE` is a file, not the switch.
      json: global.json === true || local.json === true,
    };
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** --cacert, else FALAJ_CA_FILE, else the one given at login. */
  caFile(credential?: StoredCredential): string | undefined {
    return this.options.cacert ?? process.env.FALAJ_CA_FILE ?? credential?.caFile;
  }

  credential(): StoredCredential | undefined {
    try {
      return readCredential(this.configDir);
    } catch (error) {
      throw new CliError(`cannot read the credential file in ${this.configDir}: ${(error as Error).message}`, EXIT.auth, 'run `falaj login` again');
    }
  }

  client(): FalajClient {
    if (this.cachedClient) return this.cachedClient;
    const credential = this.credential();
    const gateway = this.options.gateway ?? process.env.FALAJ_GATEWAY_URL ?? credential?.gateway;
    if (!gateway) throw new CliError('no gateway address and not signed in', EXIT.auth, 'run `falaj login --gateway URL --issuer URL --client-id ID` first');
    this.cachedClient = new FalajClient(gateway, credential, this.configDir, this.caFile(credential));
    return this.cachedClient;
  }

  /** The answer: JSON under --json, else what `human` renders. */
  print(value: unknown, human: () => string): void {
    this.stdout.write(this.json ? renderJson(value) : `${human().replace(/\n$/, '')}\n`);
  }

  write(text: string): void {
    this.stdout.write(text);
  }

  /** A remark for people (never under --json's stdout). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}

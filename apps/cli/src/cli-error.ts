import { EXIT, exitCodeOfStatus, type ExitCode } from './exit-codes';

/** An error the CLI reports as one line (the cause) and a hint (what to do), then exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
  }

  static usage(message: string, hint?: string): CliError {
    return new CliError(message, EXIT.usage, hint);
  }

  /** A refusal from the gateway: the server's own message, and the fix for that kind of refusal. */
  static fromResponse(status: number, serverMessage: string, what: string, retryAfter?: string): CliError {
    const message = `${what}: HTTP ${status}: ${serverMessage}`;
    return new CliError(message, exitCodeOfStatus(status), hintOf(status, retryAfter));
  }

  /** A failure before any answer: no connection, a TLS problem, a timeout. */
  static fromNetwork(error: unknown, url: string): CliError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause ?? (error as { code?: string; message?: string });
    const code = cause?.code ?? '';
    const detail = `${code ? `${code}: ` : ''}${cause?.message ?? String(error)}`;
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) {
      return new CliError(
        `cannot verify the TLS certificate of ${url} (${detail})`,
        EXIT.unavailable,
        'give the CA that signed it with --cacert FILE or FALAJ_CA_FILE (npm start writes .local/tls/ca.crt)',
      );
    }
    return new CliError(`cannot reach ${url} (${detail})`, EXIT.unavailable, 'check the address (--gateway, FALAJ_GATEWAY_URL or `falaj login`) and that the apps are up (`npm start`)');
  }
}

export function hintOf(status: number, retryAfter?: string): string | undefined {
  switch (status) {
    case 401:
      return 'sign in again with `falaj login` (the token was refused or has lapsed)';
    case 403:
      return 'this client lacks the scope for it: ask a platform admin for a client with that scope, then `falaj login` with it';
    case 404:
      return "check the name (`falaj models list`, `falaj versions list MODEL`); another tenant's models are not visible";
    case 409:
      return 'the current state forbids it: see `falaj versions list MODEL` or `falaj rollout status MODEL`';
    case 413:
      return "the body is over the server's limit (FALAJ_MAX_UPLOAD_BYTES / FALAJ_MAX_REQUEST_BYTES): send less";
    case 429:
      return `over the tenant's quota: retry${retryAfter ? ` after ${retryAfter} s` : ' later'}`;
    case 503:
      return `no worker can take it now: retry${retryAfter ? ` after ${retryAfter} s` : ' later'}, or check \`falaj versions list MODEL\``;
    default:
      if (status >= 500) return "the server failed: retry, or look in the gateway's and registry's logs under the request id";
      if (status >= 400) return 'fix the request as the message says';
      return undefined;
  }
}

/**
 * The exit codes scripts can trust (docs/cli.md). One home: every command ends
 * through these, and an HTTP status maps to exactly one of them.
 */
export const EXIT = {
  ok: 0,
  /** The command line itself is wrong: an unknown option, a missing argument, an unreadable file. */
  usage: 1,
  /** No credential, or the server refused it (401) or its scopes (403). */
  auth: 2,
  /** The model, version, rollout or job does not exist for this tenant (404). */
  notFound: 3,
  /** The server refused the request as it stands (400, 409, 413, 415, 422): changing it may help, retrying will not. */
  refused: 4,
  /** The server or the network failed, or asked to come back later (429, 5xx, no connection, TLS): retrying may help. */
  unavailable: 5,
  /** What was watched finished but did not succeed (a rollout rolled back or aborted, a job failed or cancelled). */
  unsuccessful: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeOfStatus(status: number): ExitCode {
  if (status >= 200 && status < 300) return EXIT.ok;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 429 || status >= 500) return EXIT.unavailable;
  return EXIT.refused;
}

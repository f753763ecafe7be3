import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * A line per model run (`<requestId> <dispatchId> <replyTo>`: the instance that dispatched it), appended to a file, when
 * FALAJ_RUN_LEDGER_FILE names one: what the chaos run reads to count duplicated model runs (a
 * request run twice, on one worker or two). Off by default; on, one buffered write per run, no
 * flush on the hot path. Appending: a worker restarted on the same file continues it.
 */
export class RunLedger {
  private readonly out?: WriteStream;

  constructor(path?: string) {
    if (path) this.out = createWriteStream(path, { flags: 'a' });
  }

  ran(requestId: string, dispatchId: string, replyTo: string): void {
    this.out?.write(`${requestId} ${dispatchId} ${replyTo}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.out ? this.out.end(resolve) : resolve()));
  }
}

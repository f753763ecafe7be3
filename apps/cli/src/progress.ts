import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { SingleBar } from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string>): void;
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr, only where a person watches it (stderr a terminal): stdout stays
 * the command's answer, and a script's log never fills with redraws.
 */
export function progressBar(label: string, total: number, unit: 'bytes' | 'rows', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return NONE;
  const format = unit === 'bytes' ? `${label} [{bar}] {percentage}% {value}/{total} bytes` : `${label} [{bar}] {percentage}% {value}/{total} rows | ETA {etaText}`;
  const bar = new SingleBar({ format, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20 });
  bar.start(total, 0, { etaText: '-' });
  return {
    update: (value, payload) => (payload ? bar.update(value, payload) : bar.update(value)),
    stop: () => bar.stop(),
  };
}

/** A file as a request body whose bytes move `bar` as they are sent (a fresh stream on every call, for retries). */
export function fileBody(file: string, bar: Progress): () => Readable {
  return () => {
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent += chunk.length;
        bar.update(sent);
        done(null, chunk);
      },
    });
    return createReadStream(file).pipe(counter);
  };
}

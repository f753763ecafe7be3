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

import type { CallRecord } from './outcome';

/** A stretch of the run named after the fault injected in it (or `baseline`), from..to in ms since the run began. */
export interface FaultWindow {
  name: string;
  from: number;
  to: number;
}

/** The window a call belongs to: the one it was sent in (a call sent before a fault is owed an answer through it too). */
export function windowOf(windows: readonly FaultWindow[], sentAt: number): FaultWindow | undefined {
  return windows.find((w) => sentAt >= w.from && sentAt < w.to) ?? (windows.length > 0 && sentAt >= windows[windows.length - 1].to ? windows[windows.length - 1] : undefined);
}

export function groupByWindow(windows: readonly FaultWindow[], records: Iterable<CallRecord>): Map<string, CallRecord[]> {
  const grouped = new Map<string, CallRecord[]>(windows.map((w) => [w.name, []]));
  for (const record of records) {
    const window = windowOf(windows, record.sentAt);
    if (window) grouped.get(window.name)!.push(record);
  }
  return grouped;
}

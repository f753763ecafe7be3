import { AuditEventSchema } from '@falaj/contracts';

/**
 * The spool's pure rules: how a segment is named, how its text is read back, how big a segment
 * grows and what room a write has. A segment is JSON lines, one audit event per line, appended
 * only; JSON escapes every newline inside a value, so a line is exactly one event.
 */

/** One spooled event as it is sent: the line (without its newline), the Kafka key and the tenant header. */
export interface SpooledEvent {
  value: string;
  key: string;
  tenantId: string;
  /** The event's residency region: which audit topic it is sent to (RegionStoreGate.auditTopicOf). */
  region: string;
}

const SEGMENT_NAME = /^audit-(\d{12})\.jsonl$/;

export const segmentName = (seq: number): string => `audit-${String(seq).padStart(12, '0')}.jsonl`;

/** The sequence number of a segment file, or null for a file that is none. */
export function segmentSeq(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * Segments are a sixteenth of the bound (4 KiB to 4 MiB): space comes back a segment at a time
 * (a segment is deleted once every event in it is acknowledged), so at most that share of the
 * bound is held by events already delivered.
 */
export function segmentBytesFor(maxBytes: number): number {
  return Math.min(4 * 1024 * 1024, Math.max(4096, Math.floor(maxBytes / 16)));
}

/**
 * The most one event's line can take: every field at its schema's longest, escaped, in UTF-8.
 * A must-audit call reserves this much before it is dispatched, so its event always has room.
 */
export const MAX_EVENT_LINE_BYTES = 12 * 1024;

/** What a segment read back holds: its events in order, and the lines that were not events. */
export interface ReadSegment {
  events: SpooledEvent[];
  /** Lines that are not a whole valid event: a torn write, a truncated tail, bytes damaged on disk. */
  skipped: number;
}

/**
 * The events of a segment's text. A last line without its newline is a write a crash cut short
 * (skipped: the caller's answer, if it waited for this event, never left); any other line that
 * does not parse as an event is skipped alike, so damage costs that line, never the spool.
 */
export function readSegment(text: string): ReadSegment {
  const lines = text.split('\n');
  // After the last newline: '' for a whole segment, else a cut-short tail.
  const tail = lines.pop() ?? '';
  let skipped = tail === '' ? 0 : 1;
  const events: SpooledEvent[] = [];
  for (const line of lines) {
    const event = eventOfLine(line);
    if (event) events.push(event);
    else skipped++;
  }
  return { events, skipped };
}

function eventOfLine(line: string): SpooledEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = AuditEventSchema.safeParse(value);
  // The line itself is sent, as first written: parsing again would escape its text twice.
  return parsed.success ? { value: line, key: parsed.data.requestId, tenantId: parsed.data.tenantId, region: parsed.data.residencyRegion } : null;
}

/** What the spool holds and has promised, in bytes. */
export interface SpoolSpace {
  maxBytes: number;
  /** On disk, in every segment not yet deleted. */
  usedBytes: number;
  /** Being written now. */
  writingBytes: number;
  /** Promised to must-audit calls admitted and not yet written. */
  reservedBytes: number;
}

/** Bytes a write may still take without breaking the bound or a promise. */
export function roomOf(space: SpoolSpace): number {
  return space.maxBytes - space.usedBytes - space.writingBytes - space.reservedBytes;
}

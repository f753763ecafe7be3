import { mkdir, open, readFile, readdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from './audit.exception';
import { readSegment, roomOf, segmentBytesFor, segmentName, segmentSeq, type SpooledEvent } from './audit-spool.policy';

/** An event on disk, with the segment it lies in (acknowledging it frees that segment's share). */
export interface SpoolEntry extends SpooledEvent {
  segment: number;
}

interface Segment {
  bytes: number;
  /** Events in it that Kafka has not acknowledged yet. */
  unacked: number;
  /** No longer written: deleted once `unacked` is 0. */
  sealed: boolean;
}

export interface SpoolOpened {
  spool: AuditSpool;
  /** What earlier runs left unacknowledged, oldest first: to send again (the writer stores each eventId once). */
  replayed: SpoolEntry[];
  /** Lines of those segments that were not whole events (a crash's torn tail). */
  skipped: number;
}

/**
 * The gateway's audit spool: append-only segment files in one directory, bounded in bytes.
 * A group of events is one write and one fdatasync; a segment is deleted only when Kafka has
 * acknowledged every event in it, so after a crash the directory holds every event not known to
 * be delivered. Writes, acknowledgements and rolls run one at a time (one file handle).
 * A LOCK file holding the pid keeps a second live gateway out of the directory.
 */
export class AuditSpool {
  private readonly segments = new Map<number, Segment>();
  private readonly segmentBytes: number;
  private active?: { seq: number; file: FileHandle };
  private nextSeq: number;
  private usedBytes = 0;
  private writingBytes = 0;
  private reservedBytes = 0;
  private serial: Promise<unknown> = Promise.resolve();
  /** False after a failed write, until one succeeds: must-audit calls are refused meanwhile. */
  writable = true;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    nextSeq: number,
  ) {
    this.segmentBytes = segmentBytesFor(maxBytes);
    this.nextSeq = nextSeq;
  }

  /** Takes the directory (its lock) and reads back what earlier runs left. Never fails on a damaged segment. */
  static async open(dir: string, maxBytes: number): Promise<SpoolOpened> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await takeLock(dir);
    const seqs = (await readdir(dir))
      .map(segmentSeq)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
    const spool = new AuditSpool(dir, maxBytes, (seqs.at(-1) ?? 0) + 1);
    const replayed: SpoolEntry[] = [];
    let skipped = 0;
    for (const seq of seqs) {
      const path = join(dir, segmentName(seq));
      const read = readSegment(await readFile(path, 'utf8'));
      skipped += read.skipped;
      if (read.events.length === 0) {
        await unlink(path);
        continue;
      }
      const { size } = await stat(path);
      spool.segments.set(seq, { bytes: size, unacked: read.events.length, sealed: true });
      spool.usedBytes += size;
      for (const event of read.events) replayed.push({ ...event, segment: seq });
    }
    return { spool, replayed, skipped };
  }

  /** Bytes on disk and events not yet acknowledged, for the metrics and readiness. */
  get state(): { bytes: number; events: number; segments: number; writable: boolean } {
    let events = 0;
    for (const segment of this.segments.values()) events += segment.unacked;
    return { bytes: this.usedBytes, events, segments: this.segments.size, writable: this.writable };
  }

  /** Bytes a write may take now: the bound less what is on disk, being written and promised. */
  room(): number {
    return roomOf({ maxBytes: this.maxBytes, usedBytes: this.usedBytes, writingBytes: this.writingBytes, reservedBytes: this.reservedBytes });
  }

  /** Promises `bytes` to a must-audit call, or refuses (503) when the spool cannot keep it. */
  reserve(bytes: number): void {
    if (!this.writable) throw AuditError.spoolUnwritable();
    if (this.room() < bytes) throw AuditError.spoolFull(this.maxBytes);
    this.reservedBytes += bytes;
  }

  release(bytes: number): void {
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
  }

  /**
   * Writes the lines (each its event's JSON) in one write and one fdatasync; resolves once they
   * are on disk. The caller has checked the room. A failed write seals the segment (its tail may
   * be torn: the next write starts a fresh one) and rejects.
   */
  append(events: SpooledEvent[]): Promise<SpoolEntry[]> {
    const data = Buffer.from(events.map((e) => `${e.value}\n`).join(''));
    this.writingBytes += data.length;
    return this.serially(async () => {
      try {
        const active = await this.activeSegment();
        const segment = this.segments.get(active.seq)!;
        try {
          await active.file.write(data);
          await active.file.datasync();
        } catch (error) {
          // What reached the file counts against the bound until the segment goes.
          const size = (await active.file.stat().catch(() => null))?.size ?? segment.bytes + data.length;
          this.usedBytes += size - segment.bytes;
          segment.bytes = size;
          await this.seal();
          throw error;
        }
        segment.bytes += data.length;
        segment.unacked += events.length;
        this.usedBytes += data.length;
        this.writable = true;
        return events.map((e) => ({ ...e, segment: active.seq }));
      } catch (error) {
        this.writable = false;
        throw error;
      } finally {
        this.writingBytes -= data.length;
      }
    });
  }

  /** Kafka has acknowledged these: a sealed segment none of whose events waits any more is deleted. */
  ack(entries: SpoolEntry[]): Promise<void> {
    return this.serially(async () => {
      for (const entry of entries) {
        const segment = this.segments.get(entry.segment);
        if (segment) segment.unacked--;
      }
      // The active segment, once full and delivered, is sealed now rather than at the next write.
      const active = this.active && this.segments.get(this.active.seq);
      if (active && active.unacked === 0 && active.bytes >= this.segmentBytes) await this.seal();
      for (const [seq, segment] of this.segments) if (segment.sealed && segment.unacked <= 0) await this.remove(seq);
    });
  }

  /** Closes the file and gives up the lock; a segment whose events were all delivered is deleted. */
  close(): Promise<void> {
    return this.serially(async () => {
      await this.seal();
      for (const [seq, segment] of this.segments) if (segment.unacked <= 0) await this.remove(seq);
      await unlink(join(this.dir, 'LOCK')).catch(() => undefined);
    });
  }

  private async activeSegment(): Promise<{ seq: number; file: FileHandle }> {
    const current = this.active && this.segments.get(this.active.seq);
    if (this.active && current && current.bytes < this.segmentBytes) return this.active;
    await this.seal();
    const seq = this.nextSeq++;
    const file = await open(join(this.dir, segmentName(seq)), 'a', 0o600);
    this.segments.set(seq, { bytes: 0, unacked: 0, sealed: false });
    this.active = { seq, file };
    await syncDirectory(this.dir); // the new file's name survives a crash too
    return this.active;
  }

  private async seal(): Promise<void> {
    if (!this.active) return;
    const { seq, file } = this.active;
    this.active = undefined;
    await file.close().catch(() => undefined);
    const segment = this.segments.get(seq);
    if (!segment) return;
    segment.sealed = true;
    if (segment.unacked <= 0) await this.remove(seq);
  }

  private async remove(seq: number): Promise<void> {
    const segment = this.segments.get(seq);
    if (!segment) return;
    await unlink(join(this.dir, segmentName(seq))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.segments.delete(seq);
    this.usedBytes -= segment.bytes;
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.serial.then(op, op);
    this.serial = run.catch(() => undefined);
    return run;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The directory's LOCK: taken when absent or left by a process that is gone (a crash); refused while its holder lives. */
async function takeLock(dir: string): Promise<void> {
  const path = join(dir, 'LOCK');
  try {
    await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new Error(`audit spool ${dir} is held by process ${holder} (its LOCK file): each gateway needs a FALAJ_AUDIT_SPOOL_DIR of its own`);
  }
  await writeFile(path, String(process.pid), { mode: 0o600 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

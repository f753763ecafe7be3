import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEventOf } from '@falaj/contracts';
import { AuditSpool } from './audit-spool';
import { segmentName, type SpooledEvent } from './audit-spool.policy';

const facts = { requestId: 'r', tenantId: 'acme', subject: 's', model: 'm', version: 1, pool: 'cpu.ae', protocol: 'rest' as const, status: 200, error: null, latencyMs: 1 };
const line = (requestId: string): SpooledEvent => {
  const event = auditEventOf({ ...facts, requestId });
  return { value: JSON.stringify(event), key: requestId, tenantId: 'acme', region: event.residencyRegion };
};
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort();

describe(AuditSpool.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'falaj-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('append', () => {
    it('writes a group as JSON lines in one segment and counts its bytes', async () => {
      const { spool, replayed } = await AuditSpool.open(dir, 64 * 1024);
      expect(replayed).toEqual([]);
      const entries = await spool.append([line('a'), line('b')]);
      expect(entries.map((e) => e.key)).toEqual(['a', 'b']);
      const text = readFileSync(join(dir, segments(dir)[0]), 'utf8');
      expect(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).requestId),
      ).toEqual(['a', 'b']);
      expect(spool.state).toMatchObject({ bytes: Buffer.byteLength(text), events: 2, writable: true });
      await spool.close();
    });

    it('rolls to a new segment past the segment size (a sixteenth of the bound)', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024); // 4 KiB segments
      for (let i = 0; i < 30; i++) await spool.append([line(`r${i}`)]);
      expect(segments(dir).length).toBeGreaterThan(1);
      await spool.close();
    });
  });

  describe('reserve', () => {
    it('refuses (503, limit audit_spool) once what is on disk and promised would pass the bound', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      while (spool.room() > 600) await spool.append([line('fill')]);
      expect(() => spool.reserve(12 * 1024)).toThrow(expect.objectContaining({ status: 503, limit: 'audit_spool', retryAfterSeconds: 1 }));
      await spool.close();
    });

    it('takes promised bytes out of the room until released', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      const room = spool.room();
      spool.reserve(1000);
      expect(spool.room()).toBe(room - 1000);
      spool.release(1000);
      expect(spool.room()).toBe(room);
      await spool.close();
    });
  });

  describe('ack', () => {
    it('deletes a segment only once every event in it is acknowledged', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      const first: Awaited<ReturnType<AuditSpool['append']>> = [];
      while (segments(dir).length < 2) first.push(...(await spool.append([line(`r${first.length}`)])));
      const sealed = first.filter((e) => e.segment === first[0].segment);
      await spool.ack(sealed.slice(0, -1));
      expect(segments(dir)).toContain(segmentName(first[0].segment));
      await spool.ack(sealed.slice(-1));
      expect(segments(dir)).not.toContain(segmentName(first[0].segment));
      expect(spool.state.events).toBe(first.length - sealed.length);
      await spool.close();
    });
  });

  describe('open', () => {
    it('replays after a crash (the directory reopened without close) what was not acknowledged, in order', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      const written = [];
      for (let i = 0; i < 20; i++) written.push(...(await spool.append([line(`r${i}`)])));
      await spool.ack(written.slice(0, 5));
      // No close: the process died. The LOCK names a pid that is gone.
      writeFileSync(join(dir, 'LOCK'), '999999999');
      const again = await AuditSpool.open(dir, 64 * 1024);
      // Acknowledged events of a segment still held come again (stored once by eventId); none is lost.
      expect(again.replayed.map((e) => e.key)).toEqual(expect.arrayContaining(written.slice(5).map((e) => e.key)));
      expect(again.replayed.map((e) => e.key)).toEqual([...again.replayed.map((e) => e.key)].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
      expect(again.skipped).toBe(0);
      await again.spool.close();
    });

    it('skips a truncated tail and a damaged line with a count, keeps the rest, and writes on after them', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      await spool.append([line('a'), line('b')]);
      const path = join(dir, segments(dir)[0]);
      appendFileSync(path, '{"not an event"\n');
      appendFileSync(path, line('c').value.slice(0, 40)); // a write cut short
      writeFileSync(join(dir, 'LOCK'), '999999999');
      const again = await AuditSpool.open(dir, 64 * 1024);
      expect(again.replayed.map((e) => e.key)).toEqual(['a', 'b']);
      expect(again.skipped).toBe(2);
      // A fresh segment: the torn one is never appended to.
      await again.spool.append([line('d')]);
      expect(segments(dir)).toHaveLength(2);
      await again.spool.ack(again.replayed);
      expect(segments(dir)).toHaveLength(1);
      await again.spool.close();
    });

    it('refuses a directory a live gateway holds', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      writeFileSync(join(dir, 'LOCK'), String(process.ppid));
      await expect(AuditSpool.open(dir, 64 * 1024)).rejects.toThrow(/held by process .* FALAJ_AUDIT_SPOOL_DIR of its own/);
      await spool.close();
    });
  });

  describe('close', () => {
    it('deletes the segments whose events were all delivered and gives up the lock', async () => {
      const { spool } = await AuditSpool.open(dir, 64 * 1024);
      await spool.ack(await spool.append([line('a')]));
      await spool.close();
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

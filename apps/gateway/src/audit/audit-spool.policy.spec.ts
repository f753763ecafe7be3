import { auditEventOf } from '@falaj/contracts';
import { readSegment, roomOf, segmentBytesFor, segmentName, segmentSeq } from './audit-spool.policy';

const event = (requestId: string) =>
  JSON.stringify(auditEventOf({ requestId, tenantId: 'acme', subject: 's', model: 'm', version: 1, pool: 'cpu.ae', protocol: 'rest', status: 200, error: null, latencyMs: 1 }));

describe('audit-spool.policy', () => {
  describe('readSegment', () => {
    it('reads whole lines as events and counts a cut-short tail as skipped', () => {
      const read = readSegment(`${event('a')}\n${event('b')}\n${event('c').slice(0, 30)}`);
      expect(read.events.map((e) => e.key)).toEqual(['a', 'b']);
      expect(read.skipped).toBe(1);
    });

    it('skips a line that is JSON but not an event, and one that is not JSON', () => {
      const read = readSegment(`{"requestId":"x"}\n\u0000\u0000\n${event('a')}\n`);
      expect(read.events.map((e) => e.key)).toEqual(['a']);
      expect(read.skipped).toBe(2);
    });

    it('sends the line as first written (not escaped a second time)', () => {
      const line = event('a\u0000'); // written escaped: a\\u0000
      expect(readSegment(`${line}\n`).events[0].value).toBe(line);
    });
  });

  describe('segment names', () => {
    it('round-trip and ignore other files', () => {
      expect(segmentSeq(segmentName(42))).toBe(42);
      expect(segmentSeq('LOCK')).toBeNull();
    });
  });

  describe('segmentBytesFor', () => {
    it('is a sixteenth of the bound, within 4 KiB and 4 MiB', () => {
      expect(segmentBytesFor(64 * 1024)).toBe(4096);
      expect(segmentBytesFor(64 * 1024 * 1024)).toBe(4 * 1024 * 1024);
      expect(segmentBytesFor(1024 * 1024 * 1024)).toBe(4 * 1024 * 1024);
    });
  });

  describe('roomOf', () => {
    it('is the bound less what is on disk, being written and promised', () => {
      expect(roomOf({ maxBytes: 100, usedBytes: 30, writingBytes: 20, reservedBytes: 10 })).toBe(40);
    });
  });
});

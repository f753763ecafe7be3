import { randomBytes } from 'node:crypto';
import { AuditCursorCodec } from './audit-cursor';
import { cursorBinding } from './audit-query.policy';
import { AuditError } from './audit.exception';

const secret = randomBytes(32).toString('base64url');
const position = { at: '2026-12-02T05:51:25.123456Z', eventId: '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f' };
const acme = cursorBinding({ tenantId: 'acme' }, { model: 'scorer' });

describe(AuditCursorCodec.name, () => {
  const codec = new AuditCursorCodec(secret);
  const refused = (cursor: string, binding = acme) => {
    try {
      codec.decode(cursor, binding);
    } catch (error) {
      return error instanceof AuditError && error.status === 400 && error.code === 'audit_bad_cursor';
    }
    return false;
  };

  describe('decode', () => {
    it('gives back the position it was made from, for the same query', () => {
      expect(codec.decode(codec.encode(position, acme), acme)).toEqual(position);
    });

    it('is opaque text that travels in a query string as it is', () => {
      expect(codec.encode(position, acme)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    });

    it('accepts the cursors of another registry holding the same key (a restart or a replica)', () => {
      expect(new AuditCursorCodec(secret).decode(codec.encode(position, acme), acme)).toEqual(position);
    });

    it('refuses a cursor presented with other filters, by another tenant or for every tenant', () => {
      const cursor = codec.encode(position, acme);
      expect(refused(cursor, cursorBinding({ tenantId: 'acme' }, { model: 'other' }))).toBe(true);
      expect(refused(cursor, cursorBinding({ tenantId: 'acme' }, {}))).toBe(true);
      expect(refused(cursor, cursorBinding({ tenantId: 'globex' }, { model: 'scorer' }))).toBe(true);
      expect(refused(cursor, cursorBinding({ tenantId: null }, { model: 'scorer' }))).toBe(true);
    });

    it('refuses a position rewritten with its MAC kept (reading on from a row of its choosing)', () => {
      const [, mac] = codec.encode(position, acme).split('.');
      const forged = Buffer.from(JSON.stringify(['2030-01-01T00:00:00.000000Z', position.eventId])).toString('base64url');
      expect(refused(`${forged}.${mac}`)).toBe(true);
    });

    it('refuses every single-character change, a cut cursor and one made under another key', () => {
      const cursor = codec.encode(position, acme);
      for (let i = 0; i < cursor.length; i++) {
        const changed = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
        expect(refused(changed)).toBe(true);
      }
      expect(refused(cursor.slice(0, -1))).toBe(true);
      expect(refused(`${cursor}.x`)).toBe(true);
      expect(refused(cursor.split('.')[0])).toBe(true);
      expect(refused('')).toBe(true);
      expect(refused(new AuditCursorCodec(randomBytes(32).toString('base64url')).encode(position, acme))).toBe(true);
    });
  });
});

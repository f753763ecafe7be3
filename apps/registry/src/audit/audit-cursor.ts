import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuditPosition } from './audit-query.policy';
import { AuditError } from './audit.exception';

const PositionSchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/), z.uuid()]);

/**
 * The audit listing's cursor: the last row's position, base64url, and an HMAC over it and the
 * query it belongs to (scope and filters). A cursor altered, cut, or presented with other filters
 * or by another tenant fails the MAC and is a 400; it is never decoded into a position to read
 * from. The key is derived from FALAJ_KEY_ENCRYPTION_KEY (HKDF, its own label), so every registry
 * of a deployment accepts the cursors of the others and a restart breaks none.
 */
export class AuditCursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'falaj-audit-cursor', 'hmac-sha256 v1', 32));
  }

  encode(position: AuditPosition, binding: string): string {
    const body = Buffer.from(JSON.stringify([position.at, position.eventId])).toString('base64url');
    return `${body}.${this.mac(body, binding)}`;
  }

  decode(cursor: string, binding: string): AuditPosition {
    const [body, mac, ...rest] = cursor.split('.');
    if (!body || !mac || rest.length > 0) throw AuditError.badCursor();
    // Compared as text, not decoded: base64 decoding forgives stray characters, a MAC must not.
    const expected = Buffer.from(this.mac(body, binding));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw AuditError.badCursor();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw AuditError.badCursor();
    }
    const position = PositionSchema.safeParse(parsed);
    if (!position.success) throw AuditError.badCursor();
    return { at: position.data[0], eventId: position.data[1] };
  }

  private mac(body: string, binding: string): string {
    return createHmac('sha256', this.key).update(`audit-cursor.v1\n${binding}\n${body}`).digest('base64url');
  }
}

import type { Principal } from '@falaj/auth';
import { AuditEventSchema } from '@falaj/contracts';
import { QuotaError } from '@falaj/routing';
import { answerOf, inferenceAuditEvent } from './inference-audit';
import { InferenceError } from './inference.error';

const principal = { tenantId: 'acme', subject: 'alice', scopes: ['infer'], residency: 'ae' } as unknown as Principal;
const unplaced = { version: null, pool: null, placement: null };

describe('inferenceAuditEvent', () => {
  describe('answerOf', () => {
    it('is 200 for a served outcome, the carried status for a refusal, 500 for an unexpected error', () => {
      expect(answerOf({ ok: false, error: new QuotaError(429, 'over', 1, 'tenant_rate'), ...unplaced })).toEqual({ status: 429, error: 'over' });
      expect(answerOf(InferenceError.timeout('late'))).toEqual({ status: 504, error: 'late' });
      expect(answerOf(new Error('redis down'))).toEqual({ status: 500, error: 'redis down' });
      // An error that only looks like it carries a status is not trusted: only a DomainError does.
      expect(answerOf(Object.assign(new Error('duck'), { status: 400 }))).toEqual({ status: 500, error: 'duck' });
    });
  });

  it('builds the same publishable event on every entry point, with the served region from the pool', () => {
    const facts = { version: 3, pool: 'cpu.ae', placement: 'fixed: deployment hardware cpu' };
    const event = inferenceAuditEvent({ principal, requestId: 'r-1', model: 'scorer', protocol: 'batch' }, { status: 200, error: null }, facts, 2.5);
    expect(AuditEventSchema.parse(event)).toMatchObject({
      requestId: 'r-1',
      tenantId: 'acme',
      subject: 'alice',
      residencyRegion: 'ae',
      servedRegion: 'ae',
      model: 'scorer',
      version: 3,
      pool: 'cpu.ae',
      protocol: 'batch',
      status: 200,
      error: null,
      latencyMs: 2.5,
    });
  });

  it('keeps an id given by a caller that may answer twice, and makes a fresh one otherwise', () => {
    const call = { principal, requestId: 'r-1', model: 'scorer', protocol: 'kafka' as const };
    const id = '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f';
    expect(inferenceAuditEvent(call, { status: 503, error: 'x' }, unplaced, 1, id).eventId).toBe(id);
    const a = inferenceAuditEvent(call, { status: 503, error: 'x' }, unplaced, 1);
    const b = inferenceAuditEvent(call, { status: 503, error: 'x' }, unplaced, 1);
    expect(a.eventId).not.toBe(b.eventId);
    expect(a).toMatchObject({ servedRegion: null, version: null, pool: null });
  });
});

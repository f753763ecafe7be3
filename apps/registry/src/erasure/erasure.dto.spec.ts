import { ERASURE_MAX_REQUEST_IDS, ErasureRequestSchema } from './erasure.dto';

describe('ErasureRequestSchema', () => {
  it('takes a subject, request ids, or both', () => {
    expect(ErasureRequestSchema.safeParse({ subject: 'alice' }).success).toBe(true);
    expect(ErasureRequestSchema.safeParse({ requestIds: ['r1'] }).success).toBe(true);
    expect(ErasureRequestSchema.safeParse({ tenant: 'acme', subject: 'alice', requestIds: ['r1'] }).success).toBe(true);
  });

  it.each([
    ['nothing to erase', {}],
    ['only a tenant', { tenant: 'acme' }],
    ['an empty subject', { subject: '' }],
    ['a subject over its column', { subject: 'x'.repeat(201) }],
    ['no request ids', { requestIds: [] }],
    ['too many request ids', { requestIds: Array.from({ length: ERASURE_MAX_REQUEST_IDS + 1 }, (_, i) => `r${i}`) }],
    ['a request id over its column', { requestIds: ['x'.repeat(201)] }],
    ['a request id that is not text', { requestIds: [{ $ne: null }] }],
    ['an unknown field', { subject: 'alice', everything: true }],
    ['a tenant over its column', { tenant: 'x'.repeat(64), subject: 'alice' }],
  ])('refuses %s', (_why, body) => {
    expect(ErasureRequestSchema.safeParse(body).success).toBe(false);
  });
});

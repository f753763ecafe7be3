import { QuotaError } from '@falaj/routing';
import { POOL_STREAM_ADMISSION_CASES, POOL_STREAM_ADMISSION_LIMITS as limits } from './pool-stream-admission.cases';
import { POOL_STREAM_RETRY_AFTER_SECONDS, poolStreamAdmission, poolStreamFullError } from './pool-stream-admission.policy';

describe('poolStreamAdmission', () => {
  it.each(POOL_STREAM_ADMISSION_CASES)('holding %i entries of %i bytes, an entry of %i bytes is refused by %s', (entries, bytes, size, refused) => {
    expect(poolStreamAdmission({ entries, bytes }, size, limits)).toBe(refused);
  });

  it('refuses by entries before bytes when both are over', () => {
    expect(poolStreamAdmission({ entries: 3, bytes: 999 }, 999, limits)).toBe('entries');
  });

  it('lets an entry larger than the whole budget into an empty stream only', () => {
    expect(poolStreamAdmission({ entries: 0, bytes: 0 }, 10 * limits.maxBytes, limits)).toBeNull();
    expect(poolStreamAdmission({ entries: 1, bytes: 1 }, 10 * limits.maxBytes, limits)).toBe('bytes');
  });
});

describe('poolStreamFullError', () => {
  it('is a 503 with Retry-After naming the entries limit by its variable', () => {
    const error = poolStreamFullError('cpu.ae', 'entries', { entries: 3, bytes: 10 }, 5, limits);
    expect(error).toBeInstanceOf(QuotaError);
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(POOL_STREAM_RETRY_AFTER_SECONDS);
    expect(error.message).toBe("over capacity: pool cpu.ae's stream holds 3 requests, its limit of 3 (FALAJ_POOL_STREAM_MAX_ENTRIES); retry after 1 s");
  });

  it('names the bytes limit, what is held and what was asked', () => {
    const error = poolStreamFullError('gpu.ae', 'bytes', { entries: 2, bytes: 900 }, 101, limits);
    expect(error.message).toContain("pool gpu.ae's stream holds 900 bytes; 101 more would pass its limit of 1000 (FALAJ_POOL_STREAM_MAX_BYTES)");
  });
});

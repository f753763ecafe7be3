import { QuotaError } from '@falaj/routing';
import { InFlightLimiter, type InFlightLimit } from './in-flight.limiter';

describe(InFlightLimiter.name, () => {
  const setup = (limits = { perGateway: 3, perTenant: 2, bytes: 100 }) => {
    const refused: InFlightLimit[] = [];
    return { limiter: new InFlightLimiter(limits, (limit) => refused.push(limit)), refused };
  };
  const refusal = (fn: () => unknown): QuotaError => {
    try {
      fn();
    } catch (error) {
      return error as QuotaError;
    }
    throw new Error('not refused');
  };

  describe('enter', () => {
    it('refuses a tenant past its own limit with 503 and Retry-After while others still pass', () => {
      const { limiter, refused } = setup();
      limiter.enter('acme');
      limiter.enter('acme');
      const error = refusal(() => limiter.enter('acme'));
      expect(error).toMatchObject({ status: 503, retryAfterSeconds: 1, limit: 'in_flight_tenant' });
      expect(error.message).toBe("over capacity: tenant 'acme' has 2 requests in flight on this gateway, its limit of 2; retry after 1 s");
      expect(() => limiter.enter('globex')).not.toThrow();
      expect(refused).toEqual(['tenant']);
    });

    it('refuses anyone past the gateway limit, and admits again once a slot is released (once)', () => {
      const { limiter, refused } = setup();
      const a = limiter.enter('a');
      limiter.enter('b');
      limiter.enter('c');
      expect(refusal(() => limiter.enter('d')).message).toContain('the gateway has 3 requests in flight, its limit of 3');
      a();
      a();
      expect(limiter.inFlight.requests).toBe(2);
      limiter.enter('d');
      expect(refusal(() => limiter.enter('e')).status).toBe(503);
      expect(refused).toEqual(['gateway', 'gateway']);
    });
  });

  describe('reserveBytes', () => {
    it('keeps the request bytes in flight within the budget', () => {
      const { limiter, refused } = setup();
      const first = limiter.reserveBytes(60);
      limiter.reserveBytes(40);
      expect(refusal(() => limiter.reserveBytes(1)).message).toBe('over capacity: the gateway has 100 request bytes in flight; 1 more would pass its budget of 100; retry after 1 s');
      first();
      first();
      expect(limiter.inFlight.bytes).toBe(40);
      limiter.reserveBytes(60);
      expect(refused).toEqual(['bytes']);
    });

    it('lets one request larger than the whole budget through when nothing else is in flight', () => {
      const { limiter } = setup();
      const big = limiter.reserveBytes(500);
      expect(() => limiter.reserveBytes(1)).toThrow(QuotaError);
      big();
      expect(() => limiter.reserveBytes(1)).not.toThrow();
    });
  });
});

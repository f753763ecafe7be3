import { proxiedIdempotency } from './proxy-idempotency.policy';

describe('proxiedIdempotency', () => {
  it.each([
    ['POST', '/admin/models'],
    ['POST', '/admin/models/m/versions'],
    ['POST', '/admin/models/m/versions/1/stage'],
    ['POST', '/admin/models/m/rollouts/abc/abort'],
    ['POST', '/admin/tenants'],
    ['POST', '/v2/batch/jobs?model=m'],
    ['POST', '/v2/async/models/m/infer'],
  ])('%s %s takes the key', (method, path) => {
    expect(proxiedIdempotency(method, path)).toEqual({ kind: 'applies' });
  });

  it.each([
    ['POST', '/admin/kafka/token'],
    ['POST', '/admin/tenants/acme/api-keys'],
    ['POST', '/admin/tenants/acme/clients'],
    ['POST', '/admin/tenants/acme/clients?x=1'],
  ])('%s %s, whose answer holds a secret, refuses it', (method, path) => {
    expect(proxiedIdempotency(method, path)).toMatchObject({ kind: 'refused', message: expect.stringContaining('secret') });
  });

  it.each([
    ['PUT', '/admin/tenants/acme/quota'],
    ['DELETE', '/admin/tenants/acme'],
    ['GET', '/admin/models'],
    ['PATCH', '/admin/models/m'],
  ])('%s %s ignores it', (method, path) => {
    expect(proxiedIdempotency(method, path)).toEqual({ kind: 'ignored' });
  });
});

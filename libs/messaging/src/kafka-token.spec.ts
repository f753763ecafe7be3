import { refreshingKafkaToken, tenantKafkaGroupPrefix, tenantKafkaPrincipal, type KafkaTokenGrant } from './kafka-token';

describe('refreshingKafkaToken', () => {
  it('keeps one token until two thirds of its life are gone, then fetches the next once', async () => {
    let now = 0;
    let fetched = 0;
    const fetchToken = async (): Promise<KafkaTokenGrant> => ({ token: `t${++fetched}`, expires_in: 900, principal: 'tenant.falaj.acme' });
    const provide = refreshingKafkaToken(fetchToken, () => now);
    expect(await provide()).toEqual({ value: 't1' });
    now = 599_000;
    expect(await provide()).toEqual({ value: 't1' });
    now = 600_001;
    // Connections opened together share one fetch.
    expect(await Promise.all([provide(), provide(), provide()])).toEqual([{ value: 't2' }, { value: 't2' }, { value: 't2' }]);
    expect(fetched).toBe(2);
  });

  it('asks again after a failed fetch instead of keeping the failure', async () => {
    let calls = 0;
    const provide = refreshingKafkaToken(async () => {
      if (++calls === 1) throw new Error('registry down');
      return { token: 'ok', expires_in: 900, principal: 'tenant.falaj.acme' };
    });
    await expect(provide()).rejects.toThrow('registry down');
    await expect(provide()).resolves.toEqual({ value: 'ok' });
  });
});

describe('tenantKafkaPrincipal', () => {
  it('names the deployment and the tenant, apart from every SCRAM user', () => {
    expect(tenantKafkaPrincipal('falaj', 'acme')).toBe('tenant.falaj.acme');
    expect(tenantKafkaPrincipal('falaj', 'acme')).not.toBe(tenantKafkaPrincipal('other', 'acme'));
  });

  it("ends a tenant's group prefix in a dot, so acme's never matches acme-corp's groups", () => {
    expect(`${tenantKafkaGroupPrefix('falaj', 'acme-corp')}x`.startsWith(tenantKafkaGroupPrefix('falaj', 'acme'))).toBe(false);
  });
});

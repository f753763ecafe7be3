import { RouteEntrySchema, servingDeployment } from '@falaj/contracts';
import { deploymentRoute, routeField } from '@falaj/routing';

const signature = { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 4] }], outputs: [] };
const production = {
  version: 4,
  signature,
  artifact: { sha256: 'a'.repeat(64), sizeBytes: 10, downloadPath: '/internal/artifacts/x' },
};

describe('routeField', () => {
  it('names a model per tenant, so two tenants may use the same model name', () => {
    expect(routeField('acme', 'mlp')).not.toBe(routeField('globex', 'mlp'));
  });
});

describe('deploymentRoute', () => {
  it('splits traffic by the deployment weights, with every served signature', () => {
    const other = { ...signature, outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 2] }] };
    const deployment = {
      revision: 2,
      targets: [
        { ...production, weight: 90 },
        { ...production, version: 5, signature: other, weight: 10 },
      ],
      shadow: null,
      hardware: 'cpu' as const,
      regions: [],
      slaP95Ms: null,
    };
    const route = deploymentRoute('acme', 'mlp', deployment, 'cpu.ae', new Date('2026-01-01T00:00:00Z'));
    expect(route.targets).toEqual([
      { version: 4, pool: 'cpu.ae', weight: 90 },
      { version: 5, pool: 'cpu.ae', weight: 10 },
    ]);
    expect(route.signatures).toEqual({ '4': signature, '5': other });
  });

  it('carries the shadow with its share, the allowed regions and the SLA', () => {
    const deployment = {
      revision: 3,
      targets: [{ ...production, weight: 100 }],
      shadow: { ...production, version: 6 },
      shadowPercent: 25,
      hardware: 'cpu' as const,
      regions: ['ae', 'eu'],
      slaP95Ms: 50,
    };
    const route = deploymentRoute('acme', 'mlp', deployment, 'cpu.ae');
    expect(route).toMatchObject({ shadow: { version: 6, pool: 'cpu.ae', percent: 25 }, regions: ['ae', 'eu'], slaP95Ms: 50 });
    expect(deploymentRoute('acme', 'mlp', { ...deployment, shadow: null }, 'cpu.ae').shadow).toBeUndefined();
  });

  it('carries the hardware policy, so the gateway places `auto` per request', () => {
    const deployment = { revision: 1, targets: [{ ...production, weight: 100 }], shadow: null, hardware: 'auto' as const, regions: [], slaP95Ms: 20 };
    const route = deploymentRoute('acme', 'mlp', deployment, 'cpu.ae');
    expect(route).toMatchObject({ hardware: 'auto', targets: [{ version: 4, pool: 'cpu.ae', weight: 100 }] });
    expect(RouteEntrySchema.parse(route).hardware).toBe('auto');
  });

  it("sends an implicit deployment's traffic to its production version with no policy fields, as production routes always were", () => {
    const implicit = servingDeployment({ type: 'version.stage-changed', production });
    if (!implicit) throw new Error('a production version has an implicit deployment');
    const route = deploymentRoute('acme', 'mlp', implicit, 'cpu.ae', new Date('2026-01-01T00:00:00Z'));
    // Byte for byte the route written before deployments were implicit: the router skips equal routes.
    expect(JSON.stringify(route)).toBe(
      JSON.stringify({ tenantId: 'acme', model: 'mlp', targets: [{ version: 4, pool: 'cpu.ae', weight: 100 }], signatures: { '4': signature }, updatedAt: '2026-01-01T00:00:00.000Z' }),
    );
  });

  it('parses a route written before the hardware policy', () => {
    const { hardware, ...older } = deploymentRoute('acme', 'mlp', { revision: 1, targets: [{ ...production, weight: 100 }], shadow: null, hardware: 'cpu', regions: [], slaP95Ms: null }, 'cpu.ae');
    expect(hardware).toBe('cpu');
    expect(RouteEntrySchema.parse(older).hardware).toBeUndefined();
  });
});

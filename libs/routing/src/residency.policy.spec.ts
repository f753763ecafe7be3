import type { RouteEntry } from '@falaj/contracts';
import { ResidencyError, placeTarget } from './residency.policy';

const route = (regions?: string[]): RouteEntry => ({
  tenantId: 'acme',
  model: 'mlp',
  targets: [{ version: 1, pool: 'cpu.ae', weight: 100 }],
  signatures: {},
  regions,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('placeTarget', () => {
  it('keeps the target pool when the caller has no residency', () => {
    expect(placeTarget(route(['eu']), route().targets[0], undefined)).toBe('cpu.ae');
  });

  it('places in the residency region, on the target pool hardware', () => {
    expect(placeTarget(route(), route().targets[0], 'eu')).toBe('cpu.eu');
    expect(placeTarget(route(['eu', 'ae']), { version: 1, pool: 'gpu.ae', weight: 100 }, 'eu')).toBe('gpu.eu');
  });

  it('refuses, naming the residency rule, when the deployment excludes the residency region', () => {
    expect(() => placeTarget(route(['ae']), route().targets[0], 'eu')).toThrow(ResidencyError);
    expect(() => placeTarget(route(['ae']), route().targets[0], 'eu')).toThrow(/residency: tenant 'acme' data stays in region 'eu'/);
    expect(new ResidencyError('x').status).toBe(503);
  });
});

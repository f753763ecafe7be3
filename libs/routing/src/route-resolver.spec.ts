import type { RouteEntry } from '@falaj/contracts';
import { UnroutableError, resolveTarget } from './route-resolver';

const sig = (name: string) => ({ inputs: [{ name, datatype: 'FP32' as const, shape: [1] }], outputs: [] });
const route: RouteEntry = {
  tenantId: 'acme',
  model: 'mlp',
  targets: [
    { version: 1, pool: 'cpu.ae', weight: 10 },
    { version: 2, pool: 'cpu.ae', weight: 90 },
  ],
  signatures: { '1': sig('v1'), '2': sig('v2') },
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('resolveTarget', () => {
  it('takes the heaviest target when no version is asked for', () => {
    expect(resolveTarget('mlp', route).target.version).toBe(2);
  });

  it('takes the version asked for, with that version\'s signature', () => {
    const resolved = resolveTarget('mlp', route, '1');
    expect(resolved.target.version).toBe(1);
    expect(resolved.signature.inputs[0].name).toBe('v1');
  });

  it('answers 404 for a version that is not serving', () => {
    expect(() => resolveTarget('mlp', route, '7')).toThrow(new UnroutableError("version 7 of model 'mlp' is not serving"));
    expect(new UnroutableError('x').status).toBe(404);
  });

  it('answers 404 for a model without a route', () => {
    expect(() => resolveTarget('nope', undefined)).toThrow("model 'nope' not found");
  });
});

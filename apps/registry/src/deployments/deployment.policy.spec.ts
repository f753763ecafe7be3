import type { ModelStage } from '@falaj/contracts';
import { deploymentProblems, primaryVersion, promotedSpec, referencedVersions, servesAlone, switchedSpec } from './deployment.policy';
import { DeploymentInputSchema, servingSettingsOf, type DeploymentSpec } from './deployment-spec.schema';

const spec = (targets: [number, number][], shadow: number | null = null): DeploymentSpec => ({
  targets: targets.map(([version, weight]) => ({ version, weight })),
  shadow,
  hardware: 'cpu',
  serving: {},
  slaP95Ms: null,
  regions: [],
});
const stages = new Map<number, ModelStage>([
  [1, 'production'],
  [2, 'staging'],
  [3, 'draft'],
  [4, 'archived'],
]);

describe('deploymentProblems', () => {
  it('accepts a 90/10 split of live versions with a shadow', () => {
    expect(deploymentProblems(spec([[1, 90], [2, 10]], 3), stages)).toEqual([]);
  });

  it('refuses weights that do not sum to 100', () => {
    expect(deploymentProblems(spec([[1, 90], [2, 20]]), stages)).toEqual(['weights sum to 110, not 100']);
  });

  it('refuses unknown and archived versions, including as shadow', () => {
    expect(deploymentProblems(spec([[1, 100]], 4), stages)).toEqual(['version 4 is archived; archived versions never serve']);
    expect(deploymentProblems(spec([[9, 100]]), stages)).toEqual(['version 9 does not exist']);
  });

  it('refuses a version listed twice and a shadow that is also a target', () => {
    expect(deploymentProblems(spec([[1, 50], [1, 50]]), stages)).toContain('version 1 is listed twice');
    expect(deploymentProblems(spec([[1, 100]], 1), stages)).toContain('shadow version 1 is also a target');
  });
});

describe('DeploymentInputSchema', () => {
  it('checks the weights sum at the edge and resolves refs later', () => {
    const parsed = DeploymentInputSchema.safeParse({ targets: [{ version: 'champion', weight: 60 }, { version: 2, weight: 30 }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toBe('weights sum to 90, not 100');
  });

  it('fills defaults and keeps only the serving settings given', () => {
    const parsed = DeploymentInputSchema.parse({ targets: [{ version: 'champion', weight: 100 }], instanceCount: 2 });
    expect(parsed).toMatchObject({ hardware: 'cpu', shadow: null, regions: [], slaP95Ms: null });
    expect(parsed.targets[0].version).toEqual({ alias: 'champion' });
    expect(servingSettingsOf(parsed)).toEqual({ instanceCount: 2 });
  });

  it('refuses unknown fields', () => {
    expect(DeploymentInputSchema.safeParse({ targets: [{ version: 1, weight: 100 }], replicas: 3 }).success).toBe(false);
  });
});

describe('primaryVersion', () => {
  it('is the heaviest target, the first on a tie', () => {
    expect(primaryVersion(spec([[1, 10], [2, 90]]))).toBe(2);
    expect(primaryVersion(spec([[1, 50], [2, 50]]))).toBe(1);
  });
});

describe('promotedSpec', () => {
  it('sends all traffic to the promoted version and keeps the other settings', () => {
    const promoted = promotedSpec({ ...spec([[1, 90], [2, 10]], 3), hardware: 'gpu' }, 2);
    expect(promoted).toMatchObject({ targets: [{ version: 2, weight: 100 }], shadow: 3, hardware: 'gpu' });
    expect(referencedVersions(promoted)).toEqual([2, 3]);
  });

  it('drops a shadow that is the promoted version', () => {
    expect(promotedSpec(spec([[1, 100]], 3), 3).shadow).toBeNull();
  });
});

describe('servesAlone', () => {
  it('is true only for a single target of that version', () => {
    expect(servesAlone(spec([[2, 100]]), 2)).toBe(true);
    expect(servesAlone(spec([[1, 90], [2, 10]]), 2)).toBe(false);
    expect(servesAlone(spec([[1, 100]], 2), 2)).toBe(false);
  });
});

describe('switchedSpec', () => {
  const base = { shadow: null, hardware: 'cpu' as const, serving: {}, slaP95Ms: null, regions: [] };

  it('sends all traffic to the version and keeps the replaced one as a weight-0 standby', () => {
    const spec = switchedSpec({ ...base, targets: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }] }, 3);
    expect(spec.targets).toEqual([{ version: 3, weight: 100 }, { version: 1, weight: 0 }]);
    expect(deploymentProblems(spec, new Map([[1, 'production'], [3, 'staging']]))).toEqual([]);
  });

  it('switches back to the standby and drops a shadow that becomes the primary', () => {
    const green = { ...base, shadow: 1, targets: [{ version: 2, weight: 100 }] };
    expect(switchedSpec(green, 1)).toMatchObject({ shadow: null, targets: [{ version: 1, weight: 100 }, { version: 2, weight: 0 }] });
    expect(switchedSpec(green, 2).targets).toEqual([{ version: 2, weight: 100 }]);
  });
});

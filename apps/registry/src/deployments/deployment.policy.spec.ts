import type { ModelStage } from '@falaj/contracts';
import fc from 'fast-check';
import { deploymentProblems, primaryVersion, promotedSpec, referencedVersions, servesAlone, servingLimitOf, servingLimitProblems, switchedSpec } from './deployment.policy';
import type { DeploymentSpec } from '../catalog';
import { DeploymentInputSchema, servingSettingsOf } from './deployment-spec.schema';

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
    expect(
      deploymentProblems(
        spec(
          [
            [1, 90],
            [2, 10],
          ],
          3,
        ),
        stages,
      ),
    ).toEqual([]);
  });

  it('refuses weights that do not sum to 100', () => {
    expect(
      deploymentProblems(
        spec([
          [1, 90],
          [2, 20],
        ]),
        stages,
      ),
    ).toEqual(['weights sum to 110, not 100']);
  });

  it('refuses unknown and archived versions, including as shadow', () => {
    expect(deploymentProblems(spec([[1, 100]], 4), stages)).toEqual(['version 4 is archived; archived versions never serve']);
    expect(deploymentProblems(spec([[9, 100]]), stages)).toEqual(['version 9 does not exist']);
  });

  it('refuses a version listed twice and a shadow that is also a target', () => {
    expect(
      deploymentProblems(
        spec([
          [1, 50],
          [1, 50],
        ]),
        stages,
      ),
    ).toContain('version 1 is listed twice');
    expect(deploymentProblems(spec([[1, 100]], 1), stages)).toContain('shadow version 1 is also a target');
  });
});

describe('DeploymentInputSchema', () => {
  it('checks the weights sum at the edge and resolves refs later', () => {
    const parsed = DeploymentInputSchema.safeParse({
      targets: [
        { version: 'champion', weight: 60 },
        { version: 2, weight: 30 },
      ],
    });
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
    expect(
      primaryVersion(
        spec([
          [1, 10],
          [2, 90],
        ]),
      ),
    ).toBe(2);
    expect(
      primaryVersion(
        spec([
          [1, 50],
          [2, 50],
        ]),
      ),
    ).toBe(1);
  });
});

describe('promotedSpec', () => {
  it('sends all traffic to the promoted version and keeps the other settings', () => {
    const promoted = promotedSpec(
      {
        ...spec(
          [
            [1, 90],
            [2, 10],
          ],
          3,
        ),
        hardware: 'gpu',
      },
      2,
    );
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
    expect(
      servesAlone(
        spec([
          [1, 90],
          [2, 10],
        ]),
        2,
      ),
    ).toBe(false);
    expect(servesAlone(spec([[1, 100]], 2), 2)).toBe(false);
  });
});

describe('switchedSpec', () => {
  const base = { shadow: null, hardware: 'cpu' as const, serving: {}, slaP95Ms: null, regions: [] };

  it('sends all traffic to the version and keeps the replaced one as a weight-0 standby', () => {
    const spec = switchedSpec(
      {
        ...base,
        targets: [
          { version: 1, weight: 90 },
          { version: 2, weight: 10 },
        ],
      },
      3,
    );
    expect(spec.targets).toEqual([
      { version: 3, weight: 100 },
      { version: 1, weight: 0 },
    ]);
    expect(
      deploymentProblems(
        spec,
        new Map([
          [1, 'production'],
          [3, 'staging'],
        ]),
      ),
    ).toEqual([]);
  });

  it('switches back to the standby and drops a shadow that becomes the primary', () => {
    const green = { ...base, shadow: 1, targets: [{ version: 2, weight: 100 }] };
    expect(switchedSpec(green, 1)).toMatchObject({
      shadow: null,
      targets: [
        { version: 1, weight: 100 },
        { version: 2, weight: 0 },
      ],
    });
    expect(switchedSpec(green, 2).targets).toEqual([{ version: 2, weight: 100 }]);
  });
});

describe(servingLimitProblems.name, () => {
  const maxima = { instanceCount: 4, intraOpThreads: 8 };

  it('names each setting over the platform maximum, with the maximum', () => {
    expect(servingLimitProblems({ instanceCount: 64, intraOpThreads: 256 }, maxima)).toEqual([
      'instanceCount 64 is over the platform maximum of 4 (FALAJ_MAX_INSTANCE_COUNT)',
      'intraOpThreads 256 is over the platform maximum of 8 (FALAJ_MAX_INTRA_OP_THREADS)',
    ]);
  });

  it('accepts settings left out and any within the maxima (property)', () => {
    expect(servingLimitProblems({}, maxima)).toEqual([]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 256 }), (instanceCount, intraOpThreads) => {
        const problems = servingLimitProblems({ instanceCount, intraOpThreads }, maxima);
        expect(problems.length).toBe(Number(instanceCount > 4) + Number(intraOpThreads > 8));
      }),
    );
  });
});

describe(servingLimitOf.name, () => {
  const maxima = { instanceCount: 4, intraOpThreads: 8 };

  it('names the first limit crossed, instances before threads, as the refusal metric labels it', () => {
    expect(servingLimitOf({ instanceCount: 5, intraOpThreads: 9 }, maxima)).toBe('deployment_instances');
    expect(servingLimitOf({ instanceCount: 4, intraOpThreads: 9 }, maxima)).toBe('deployment_threads');
    expect(servingLimitOf({ instanceCount: 4, intraOpThreads: 8 }, maxima)).toBeUndefined();
    expect(servingLimitOf({}, maxima)).toBeUndefined();
  });
});

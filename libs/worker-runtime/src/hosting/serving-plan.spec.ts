import type { ServingVersion } from '@falaj/contracts';
import { desiredVersions, leavesPlan, sameServing, servedVersions, type VersionOverride } from './serving-plan';

const version = (n: number, sha = String(n)): ServingVersion => ({
  version: n,
  signature: { inputs: [], outputs: [] },
  artifact: { sha256: sha.repeat(64).slice(0, 64), sizeBytes: 1, downloadPath: '/internal/artifacts/x' },
});
const numbers = (versions: readonly ServingVersion[]) => versions.map((v) => v.version);

describe('desiredVersions', () => {
  it("is the lifecycle's versions without overrides", () => {
    expect(numbers(desiredVersions([version(1), version(2)], new Map()))).toEqual([1, 2]);
  });

  it("adds an operator's load and drops an operator's unload", () => {
    const overrides = new Map<number, VersionOverride>([
      [3, { command: 'load', serving: version(3) }],
      [1, { command: 'unload' }],
    ]);
    expect(numbers(desiredVersions([version(1), version(2)], overrides))).toEqual([2, 3]);
  });

  it("keeps the lifecycle's artifact when an operator loads a version the lifecycle already holds", () => {
    const overrides = new Map<number, VersionOverride>([[1, { command: 'load', serving: version(1, 'f') }]]);
    expect(desiredVersions([version(1)], overrides)[0].artifact.sha256).toBe('1'.repeat(64));
  });
});

describe('servedVersions', () => {
  it('reads one version, a list, or none', () => {
    expect(numbers(servedVersions(version(4)))).toEqual([4]);
    expect(numbers(servedVersions([version(1), version(2)]))).toEqual([1, 2]);
    expect(servedVersions(null)).toEqual([]);
  });
});

describe('leavesPlan', () => {
  const keep = new Set(['acme/m@2']);

  it('is true for a version of the model that the plan no longer keeps', () => {
    expect(leavesPlan({ tenantId: 'acme', model: 'm' }, 'acme/m@1', 'acme', 'm', keep)).toBe(true);
  });

  it('is false for a kept version, and for other models and tenants', () => {
    expect(leavesPlan({ tenantId: 'acme', model: 'm' }, 'acme/m@2', 'acme', 'm', keep)).toBe(false);
    expect(leavesPlan({ tenantId: 'acme', model: 'n' }, 'acme/n@1', 'acme', 'm', keep)).toBe(false);
    expect(leavesPlan({ tenantId: 'other', model: 'm' }, 'other/m@1', 'acme', 'm', keep)).toBe(false);
  });
});

describe('sameServing', () => {
  const withSettings = (serving: ServingVersion['serving'], sha = '1'): ServingVersion => ({ ...version(1, sha), serving });

  it('holds for the same artifact and settings, whatever the key order or undefined keys', () => {
    expect(sameServing(withSettings(undefined), withSettings(undefined))).toBe(true);
    expect(sameServing(withSettings({ instanceCount: 2, intraOpThreads: 1 }), withSettings({ intraOpThreads: 1, instanceCount: 2, batching: undefined }))).toBe(true);
  });

  it('fails when a deployment changes instances, batching or threads', () => {
    expect(sameServing(withSettings(undefined), withSettings({ instanceCount: 2 }))).toBe(false);
    expect(sameServing(withSettings({ batching: { enabled: true, maxBatchSize: 8 } }), withSettings({ batching: { enabled: true, maxBatchSize: 16 } }))).toBe(false);
    expect(sameServing(withSettings({ intraOpThreads: 1 }), withSettings({ intraOpThreads: 2 }))).toBe(false);
  });

  it('fails for another artifact', () => {
    expect(sameServing(withSettings(undefined, '1'), withSettings(undefined, '2'))).toBe(false);
  });
});

import { hostingRefusal, hostingRegions } from './hosting-regions';

describe('hostingRegions', () => {
  it("is the tenant's residency, within the deployment's regions", () => {
    expect(hostingRegions('ae')).toEqual(['ae']);
    expect(hostingRegions('ae', ['ae', 'eu'])).toEqual(['ae']);
    expect(hostingRegions('ae', ['eu'])).toEqual([]);
  });

  it("is the deployment's regions, or anywhere, for a tenant with no residency", () => {
    expect(hostingRegions(undefined, ['eu'])).toEqual(['eu']);
    expect(hostingRegions(undefined)).toBeUndefined();
  });

  describe('hostingRefusal', () => {
    it("refuses a region outside the tenant's, saying where its data stays", () => {
      expect(hostingRefusal('acme', ['ae'], 'ae')).toBeNull();
      expect(hostingRefusal('acme', undefined, 'eu')).toBeNull();
      expect(hostingRefusal('acme', ['ae'], 'eu')).toBe("residency: tenant 'acme' data stays only in 'ae', not in 'eu'");
      expect(hostingRefusal('acme', [], 'ae')).toBe("residency: tenant 'acme' data stays in no region its deployment allows, not in 'ae'");
    });
  });
});

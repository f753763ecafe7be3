import { parseRegionStores } from './region-stores.config';
import { NoRegionStoreError, groupByStore, regionsWithStores, storeFor } from './region-store.selection';

const two = parseRegionStores('ae=postgres://r@127.0.0.1/falaj_test_ae,eu=postgres://r@127.0.0.1/falaj_test_eu').stores;

describe('storeFor', () => {
  it('without a map, every region (unknown included) is the catalog', () => {
    expect(storeFor(undefined, 'ae')).toEqual({ kind: 'catalog' });
    expect(storeFor(undefined, 'unknown')).toEqual({ kind: 'catalog' });
    expect(regionsWithStores(undefined)).toBeNull();
  });

  it("with a map, a region's own store, never another's", () => {
    expect(storeFor(two, 'ae')).toEqual({ kind: 'url', url: 'postgres://r@127.0.0.1/falaj_test_ae' });
    expect(storeFor(two, 'eu')).toEqual({ kind: 'url', url: 'postgres://r@127.0.0.1/falaj_test_eu' });
    expect(regionsWithStores(two)).toEqual(['ae', 'eu']);
  });

  it('refuses a region without a store with a 503 naming it, unplaced calls included', () => {
    expect(() => storeFor(two, 'us')).toThrow(NoRegionStoreError);
    expect(() => storeFor(two, 'us')).toThrow(/region "us" has no audit store/);
    expect(() => storeFor(two, 'unknown')).toThrow(NoRegionStoreError);
    try {
      storeFor(two, 'us');
    } catch (error) {
      expect((error as NoRegionStoreError).status).toBe(503);
    }
  });
});

describe('groupByStore', () => {
  it('splits a batch by region, each group with its store, in first-seen order', () => {
    const events = [
      { r: 'eu', n: 1 },
      { r: 'ae', n: 2 },
      { r: 'eu', n: 3 },
    ];
    const groups = groupByStore(two, events, (e) => e.r);
    expect(groups.map((g) => [g.region, g.items.map((e) => e.n)])).toEqual([
      ['eu', [1, 3]],
      ['ae', [2]],
    ]);
    expect(groups[1].target).toEqual({ kind: 'url', url: 'postgres://r@127.0.0.1/falaj_test_ae' });
  });

  it('refuses the whole batch when one region has no store: nothing is written elsewhere', () => {
    expect(() => groupByStore(two, [{ r: 'ae' }, { r: 'us' }], (e) => e.r)).toThrow(NoRegionStoreError);
  });
});

import { DomainError } from '@falaj/contracts';
import type { RegionStores, RegionStoreTarget } from './region-stores.config';

/** What a NoRegionStoreError says went wrong: its `code`, in every protocol's error answer. */
export const NO_REGION_STORE_ERROR_CODES = ['region_store_missing'] as const;
export type NoRegionStoreErrorCode = (typeof NO_REGION_STORE_ERROR_CODES)[number];

/** The region has no store: its traffic is refused (503) rather than logged in another region's. */
export class NoRegionStoreError extends DomainError<NoRegionStoreErrorCode> {
  constructor(readonly region: string) {
    super(503, `region "${region}" has no audit store configured (FALAJ_REGION_STORES): its calls are refused rather than logged elsewhere`, 'region_store_missing');
  }
}

/**
 * The store a region's rows are written to. Without FALAJ_REGION_STORES every region is the
 * catalog's (one database, as before); with it, only its regions have one. A call with no
 * residency region is recorded as `unknown` by the audit event and so needs a store named
 * `unknown` once the map is set: unplaced traffic is never quietly kept in some region's store.
 */
export function storeFor(stores: RegionStores, region: string): RegionStoreTarget {
  if (stores === undefined) return { kind: 'catalog' };
  const target = stores.get(region);
  if (!target) throw new NoRegionStoreError(region);
  return target;
}

/** The regions whose traffic is accepted, as the edge needs to know them; null: every region (no map). */
export function regionsWithStores(stores: RegionStores): string[] | null {
  return stores === undefined ? null : [...stores.keys()].sort();
}

/**
 * Groups items by the store of their region, each group with its target, for writers that
 * write a batch region by region; throws NoRegionStoreError for the first item whose region has none.
 */
export function groupByStore<T>(stores: RegionStores, items: readonly T[], regionOf: (item: T) => string): { region: string; target: RegionStoreTarget; items: T[] }[] {
  const groups = new Map<string, { region: string; target: RegionStoreTarget; items: T[] }>();
  for (const item of items) {
    const region = regionOf(item);
    let group = groups.get(region);
    if (!group) groups.set(region, (group = { region, target: storeFor(stores, region), items: [] }));
    group.items.push(item);
  }
  return [...groups.values()];
}

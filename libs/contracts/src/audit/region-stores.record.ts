/**
 * Redis hash of the regions whose audit rows have a store (the registry's FALAJ_REGION_STORES):
 * one field per region (`region:<r>`), or the one field `all` when the registry keeps every
 * region's rows (no map). Written whole at registry boot and rewritten when lost; the edges read
 * it into memory and refuse a call whose region has no store (503 `region_store_missing`),
 * rather than audit it where it may not be kept.
 */
export const regionStoresKey = (prefix: string): string => `${prefix}:region-stores:v1`;
/** Announced on a rewrite (the message is `*`). */
export const regionStoresChangedChannel = (prefix: string): string => `${prefix}:region-stores:v1:changed`;
export const REGION_STORES_ALL_FIELD = 'all';
export const regionStoreField = (region: string): string => `region:${region}`;

import { RegionSchema } from '@falaj/contracts';

/** The word that, as a region's URL, names the registry's own database (the catalog). */
export const CATALOG_STORE = 'catalog';

/** Where one region's audit rows, payload records and job data live. */
export type RegionStoreTarget = { kind: 'catalog' } | { kind: 'url'; url: string };

/**
 * The region → store map, or `undefined` when FALAJ_REGION_STORES is unset: then every region
 * keeps writing to the catalog, as before regional stores (one machine, `npm start`). Once it is
 * set, only the regions it names have a store; any other region has none and its traffic is refused.
 */
export type RegionStores = ReadonlyMap<string, RegionStoreTarget> | undefined;

/**
 * Parses FALAJ_REGION_STORES: `ae=postgres://falaj_registry@pg-ae:5432/falaj_audit,eu=catalog`.
 * Each URL follows FALAJ_DATABASE_URL's rules (host, port, database, role; no password, no
 * parameters: the password and TLS settings are the catalog's). Returns the problems found
 * rather than throwing on the first, so a misconfigured deployment is told all of them at once.
 */
export function parseRegionStores(raw: string | undefined): { stores: RegionStores; problems: string[] } {
  if (raw === undefined || raw.trim() === '') return { stores: undefined, problems: [] };
  const stores = new Map<string, RegionStoreTarget>();
  const problems: string[] = [];
  const urls = new Map<string, string>();
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const at = entry.indexOf('=');
    if (at <= 0) {
      problems.push(`FALAJ_REGION_STORES: "${entry}" is not region=url`);
      continue;
    }
    const region = entry.slice(0, at).trim();
    const value = entry.slice(at + 1).trim();
    if (!RegionSchema.safeParse(region).success) {
      problems.push(`FALAJ_REGION_STORES: "${region}" is not a region label (lowercase, as "ae")`);
      continue;
    }
    if (stores.has(region)) {
      problems.push(`FALAJ_REGION_STORES: region "${region}" is given twice`);
      continue;
    }
    if (value === CATALOG_STORE) {
      stores.set(region, { kind: 'catalog' });
      continue;
    }
    const problem = urlProblem(value);
    if (problem) {
      problems.push(`FALAJ_REGION_STORES: region "${region}": ${problem}`);
      continue;
    }
    // Two regions on one database would be one store again: what residency is meant to prevent.
    const key = sameDatabaseKey(value);
    const other = urls.get(key);
    if (other !== undefined) {
      problems.push(`FALAJ_REGION_STORES: regions "${other}" and "${region}" share one database (${key})`);
      continue;
    }
    urls.set(key, region);
    stores.set(region, { kind: 'url', url: value });
  }
  if (stores.size === 0 && problems.length === 0) problems.push('FALAJ_REGION_STORES names no region');
  return { stores, problems };
}

function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL (or "${CATALOG_STORE}")`;
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) return `"${url.protocol}" is not postgres://`;
  if (url.password) return "the URL must not carry a password: the catalog's (FALAJ_DATABASE_PASSWORD_FILE) is used";
  if (url.search) return 'the URL must not carry parameters: TLS is FALAJ_DATABASE_SSL_MODE and FALAJ_DATABASE_CA_FILE';
  if (!/^\/[a-zA-Z_][a-zA-Z0-9_-]*$/.test(url.pathname)) return `"${url.pathname.slice(1)}" is not a database name`;
  return null;
}

/** host:port/database, the identity of a database whatever role reaches it. */
function sameDatabaseKey(value: string): string {
  const url = new URL(value);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

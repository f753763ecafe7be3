import { normalisedPath, pathProblem } from './import-path.policy';
import { ImportsError } from './imports.exception';

/** Redirects one fetch of an import follows at most, each to an allow-listed origin. */
export const MAX_IMPORT_REDIRECTS = 3;

/**
 * The problem with an allow-list entry (FALAJ_IMPORT_ALLOWED_ORIGINS), or null: an http(s)
 * origin exactly as the URL standard writes it — scheme, host, and a port only when not the
 * default — with no path, query, credentials or trailing slash.
 */
export function allowedOriginProblem(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `'${entry}' is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `'${entry}' is not an http(s) origin`;
  if (url.origin !== entry) return `'${entry}' is not an origin; write it as ${url.origin}`;
  return null;
}

/**
 * The base URL of an MLflow model directory a caller asks to import: http(s), no credentials,
 * query or fragment (a presigned URL names one object, not a folder), ending in `/` so that
 * `MLmodel` and the model file resolve under it; refused (403) unless its origin is allow-listed.
 */
export function importBase(raw: string, allowed: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw ImportsError.badUrl('not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw ImportsError.badUrl(`scheme ${url.protocol} is not http or https`);
  if (url.username || url.password) throw ImportsError.badUrl('credentials in the URL are not accepted');
  if (url.search || url.hash) throw ImportsError.badUrl('a query or fragment is not accepted: give the URL of the model directory');
  if (!allowed.includes(url.origin)) throw ImportsError.originNotAllowed(url.origin);
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

/** A file of the model directory (a path `pathProblem` accepted), each segment percent-encoded: always under `base`. */
export function fileUrl(base: URL, relativePath: string): URL {
  const url = new URL(relativePath.split('/').map(encodeURIComponent).join('/'), base);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) throw ImportsError.badUrl(`'${relativePath}' resolves outside ${base.href}`);
  return url;
}

/** Where a redirect goes, refused (403) when that is off the allow-list or not http(s). */
export function redirectTarget(from: URL, location: string | undefined, allowed: readonly string[]): URL {
  if (!location) throw ImportsError.upstream(502, `${from.href} redirected without a Location`);
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw ImportsError.upstream(502, `${from.href} redirected to an invalid Location`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !allowed.includes(url.origin)) throw ImportsError.originNotAllowed(url.origin);
  return url;
}

/**
 * Where the files of a registry version are, from its `artifact_uri`: `mlflow-artifacts:/<path>`
 * through the tracking server's artifact proxy (`api/2.0/mlflow-artifacts/artifacts/<path>/`), or
 * an http(s) URI as given; either on the allow-list. Other schemes (s3://, gs://, dbfs:/, runs:/)
 * need credentials or a resolver the registry does not have (400).
 */
export function artifactsBase(tracking: URL, artifactUri: string, allowed: readonly string[]): URL {
  const proxied = /^mlflow-artifacts:\/(?!\/)(.*)$/.exec(artifactUri);
  if (proxied) {
    const problem = pathProblem(proxied[1]);
    if (problem) throw ImportsError.badUrl(`artifact URI '${artifactUri.slice(0, 200)}': ${problem}`);
    return importBase(new URL(`api/2.0/mlflow-artifacts/artifacts/${normalisedPath(proxied[1]).split('/').map(encodeURIComponent).join('/')}/`, tracking).href, allowed);
  }
  if (/^https?:\/\//i.test(artifactUri)) return importBase(artifactUri, allowed);
  throw ImportsError.badUrl(`artifact URI scheme of '${artifactUri.slice(0, 200)}' is not supported: use the tracking server's artifact proxy (mlflow-artifacts:/) or an http(s) store`);
}

/** The `model_version` of an MLflow `registered-models/alias` answer: its version number, checked. */
export function mlflowVersionOf(answer: unknown): { version: string } {
  const version = (answer as { model_version?: { version?: unknown } } | null)?.model_version?.version;
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text)) throw ImportsError.upstream(502, 'the MLflow registry answered no model_version.version for the alias');
  return { version: text };
}

/** Whether a version's lineage records this registry version (same tracking server, model and version; the alias may differ). */
export function sameRegistryVersion(recorded: unknown, wanted: { trackingUrl: string; name: string; version: string }): boolean {
  const r = recorded as { trackingUrl?: unknown; name?: unknown; version?: unknown } | null | undefined;
  return r?.trackingUrl === wanted.trackingUrl && r.name === wanted.name && r.version === wanted.version;
}

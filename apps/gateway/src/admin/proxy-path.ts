import { RegistryProxyError } from './registry-proxy.exception';

/** What the registry serves behind the gateway: the admin API, batch jobs and async inference. */
export const PROXIED_PREFIXES = ['/admin', '/v2/batch', '/v2/async'] as const;

/** Percent-encoded slash or backslash, an encoded '%' (double encoding), or a control character. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;
const ENCODED_PERCENT = /%25/;
const CONTROL = /%(?:[01][0-9a-f]|7f)/i;

/**
 * The path the registry is sent for a request URL (path and query as the client wrote them), or
 * a 400. Whatever a router or URL parser downstream would make of dot segments, encoded or not,
 * of an encoded slash or a backslash, none of them is forwarded: the registry's routing sees
 * exactly the segments the gateway checked. Runs of slashes are collapsed. The result must be
 * one of the forwarded prefixes, compared segment by segment.
 */
export function proxiedPath(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  if (!path.startsWith('/')) throw RegistryProxyError.badPath('path must start with /');
  if (path.includes('\\') || ENCODED_SEPARATOR.test(path)) throw RegistryProxyError.badPath('path may not contain a backslash or an encoded slash or backslash');
  if (ENCODED_PERCENT.test(path)) throw RegistryProxyError.badPath("path may not contain an encoded '%'");
  if (CONTROL.test(path)) throw RegistryProxyError.badPath('path may not contain control characters');
  const segments = path.split('/').filter((segment, i, all) => segment !== '' || i === all.length - 1);
  for (const segment of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw RegistryProxyError.badPath('path is not valid percent-encoding');
    }
    if (decoded === '.' || decoded === '..') throw RegistryProxyError.badPath('path may not contain dot segments (. or ..)');
  }
  const normalised = `/${segments.join('/')}`;
  const prefix = PROXIED_PREFIXES.find((p) => normalised === p || normalised.startsWith(`${p}/`));
  if (!prefix) throw RegistryProxyError.badPath('path is not one the gateway forwards to the registry');
  return normalised + query;
}

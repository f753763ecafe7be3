/**
 * The console's CSP: its own scripts and styles only (no inline script, no eval), calls to this
 * gateway only, never framed, forms only to this origin (the issuer's sign-in page, proxied).
 * `blob:` for downloads the console makes from authenticated answers (audit export, job results).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite's hashed file names change with their content: a year, immutable. Anything else: revalidate every time. */
export function cacheControlOf(path: string): string {
  return /-[A-Za-z0-9_-]{8,}\.(?:js|css|woff2?|svg|png)$/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

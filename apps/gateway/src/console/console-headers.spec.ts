import { CONSOLE_CSP, cacheControlOf } from './console-headers';

describe('cacheControlOf', () => {
  it('caches hashed assets for a year', () => {
    expect(cacheControlOf('/x/assets/index-CUscc5w4.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('index-BAz6eglM.css')).toBe('public, max-age=31536000, immutable');
  });
  it('revalidates the page and anything not hashed', () => {
    expect(cacheControlOf('index.html')).toBe('no-cache');
    expect(cacheControlOf('favicon.svg')).toBe('no-cache');
  });
});

describe('CONSOLE_CSP', () => {
  it('allows no inline script, no eval and no other origin', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });
});

import { proxiedPath } from './proxy-path';

describe('proxiedPath', () => {
  describe('forwards', () => {
    it.each([
      ['/admin', '/admin'],
      ['/admin/models', '/admin/models'],
      ['/admin/models/tiny-mlp/versions/1', '/admin/models/tiny-mlp/versions/1'],
      ['/admin/models?limit=1&cursor=a%2Fb', '/admin/models?limit=1&cursor=a%2Fb'],
      ['/v2/batch/jobs/abc', '/v2/batch/jobs/abc'],
      ['/v2/async/models/m/infer?version=2', '/v2/async/models/m/infer?version=2'],
      ['/admin/models/a.b..c', '/admin/models/a.b..c'],
      ['/admin/models/%41', '/admin/models/%41'],
      ['/admin/', '/admin/'],
    ])('%s as %s', (url, path) => {
      expect(proxiedPath(url)).toBe(path);
    });

    it('collapses runs of slashes', () => {
      expect(proxiedPath('//admin//models///x')).toBe('/admin/models/x');
    });
  });

  describe('refuses with 400', () => {
    it.each([
      '/v2/batch/../../internal/artifacts/abc',
      '/admin/../health/ready',
      '/admin/./models',
      '/admin/models/..',
      '/admin/models/.',
      '/admin/%2e%2e/health',
      '/admin/%2E%2E/health',
      '/admin/%2e%2E/health',
      '/admin/.%2e/health',
      '/admin/%2e./health',
      '/admin/%2e/models',
    ])('the dot segment in %s', (url) => {
      expect(() => proxiedPath(url)).toThrow(expect.objectContaining({ status: 400, message: 'path may not contain dot segments (. or ..)' }));
    });

    it.each(['/admin/models%2f..%2fhealth', '/admin/models%2F..', '/admin/..%5chealth', '/admin/..%5Chealth', '/admin/..\\health', '/admin\\..\\internal'])(
      'the encoded slash or backslash in %s',
      (url) => {
        expect(() => proxiedPath(url)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/backslash or an encoded slash/) }));
      },
    );

    it.each(['/admin/%252e%252e/health', '/admin/%252f'])('the double encoding in %s', (url) => {
      expect(() => proxiedPath(url)).toThrow(expect.objectContaining({ status: 400, message: "path may not contain an encoded '%'" }));
    });

    it.each(['/admin/models/%00', '/admin/%0a', '/admin/%1F', '/admin/%7f'])('the control character in %s', (url) => {
      expect(() => proxiedPath(url)).toThrow(expect.objectContaining({ status: 400, message: 'path may not contain control characters' }));
    });

    it('malformed percent-encoding', () => {
      expect(() => proxiedPath('/admin/%e2%82')).toThrow(expect.objectContaining({ status: 400, message: 'path is not valid percent-encoding' }));
    });

    it.each(['/internal/artifacts/abc', '/health/ready', '/administrator', '/v2/batchx', '/', 'admin/models', '/v2/models/m/infer'])('a path outside the forwarded prefixes: %s', (url) => {
      expect(() => proxiedPath(url)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^path /) }));
    });
  });
});

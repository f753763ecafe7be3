import { allowedOriginProblem, fileUrl, importBase, redirectTarget } from './import-origin.policy';
import { ImportsError } from './imports.exception';

const ALLOWED = ['https://models.example.com', 'http://127.0.0.1:9000'];

const thrown = (fn: () => unknown): ImportsError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImportsError);
    return error as ImportsError;
  }
  throw new Error('expected a refusal');
};

describe('allowedOriginProblem', () => {
  it('accepts origins as the URL standard writes them and names every other entry', () => {
    expect(allowedOriginProblem('https://models.example.com')).toBeNull();
    expect(allowedOriginProblem('http://127.0.0.1:9000')).toBeNull();
    expect(allowedOriginProblem('https://models.example.com/')).toBe("'https://models.example.com/' is not an origin; write it as https://models.example.com");
    expect(allowedOriginProblem('https://models.example.com:443')).toContain('write it as https://models.example.com');
    expect(allowedOriginProblem('https://models.example.com/bucket')).toContain('is not an origin');
    expect(allowedOriginProblem('ftp://models.example.com')).toContain('not an http(s) origin');
    expect(allowedOriginProblem('models.example.com')).toContain('is not a URL');
  });
});

describe('importBase', () => {
  it('takes an allow-listed directory URL and ends it with a slash', () => {
    expect(importBase('https://models.example.com/bucket/fraud/1', ALLOWED).href).toBe('https://models.example.com/bucket/fraud/1/');
    expect(importBase('http://127.0.0.1:9000/m/', ALLOWED).href).toBe('http://127.0.0.1:9000/m/');
  });

  it('refuses another origin (403), another port or scheme of an allowed host, and look-alike hosts', () => {
    for (const url of ['https://evil.example.com/m', 'http://models.example.com/m', 'http://127.0.0.1:9001/m', 'https://models.example.com.evil.net/m', 'https://models.example.com@evil.net/m']) {
      const error = thrown(() => importBase(url, ALLOWED));
      expect([403, 400]).toContain(error.status);
    }
    expect(thrown(() => importBase('https://evil.example.com/m', ALLOWED)).message).toBe("origin https://evil.example.com is not on the platform's import allow-list (FALAJ_IMPORT_ALLOWED_ORIGINS)");
    expect(thrown(() => importBase('https://evil.example.com/m', [])).status).toBe(403);
  });

  it('refuses credentials, queries, fragments, other schemes and relative URLs (400)', () => {
    expect(thrown(() => importBase('https://u:p@models.example.com/m', ALLOWED)).message).toContain('credentials');
    expect(thrown(() => importBase('https://models.example.com/m?X-Amz-Signature=1', ALLOWED)).message).toContain('query or fragment');
    expect(thrown(() => importBase('https://models.example.com/m#x', ALLOWED)).message).toContain('query or fragment');
    expect(thrown(() => importBase('file:///etc/passwd', ALLOWED)).message).toContain('scheme file:');
    expect(thrown(() => importBase('/m', ALLOWED)).message).toContain('not an absolute URL');
  });
});

describe('fileUrl', () => {
  it('resolves a checked relative path under the base, percent-encoding each segment', () => {
    const base = new URL('https://models.example.com/bucket/fraud/1/');
    expect(fileUrl(base, 'model.onnx').href).toBe('https://models.example.com/bucket/fraud/1/model.onnx');
    expect(fileUrl(base, 'sub dir/m?.onnx').href).toBe('https://models.example.com/bucket/fraud/1/sub%20dir/m%3F.onnx');
    expect(fileUrl(base, '%2e%2e/x').href).toBe('https://models.example.com/bucket/fraud/1/%252e%252e/x');
  });
});

describe('redirectTarget', () => {
  const from = new URL('https://models.example.com/bucket/m/MLmodel');
  it('follows a relative or absolute redirect to an allow-listed origin', () => {
    expect(redirectTarget(from, '/other/MLmodel', ALLOWED).href).toBe('https://models.example.com/other/MLmodel');
    expect(redirectTarget(from, 'http://127.0.0.1:9000/MLmodel', ALLOWED).href).toBe('http://127.0.0.1:9000/MLmodel');
  });

  it('refuses a redirect off the allow-list (403) and one without a Location (502)', () => {
    expect(thrown(() => redirectTarget(from, 'http://169.254.169.254/latest/meta-data/', ALLOWED)).status).toBe(403);
    expect(thrown(() => redirectTarget(from, 'file:///etc/passwd', ALLOWED)).status).toBe(403);
    expect(thrown(() => redirectTarget(from, undefined, ALLOWED)).status).toBe(502);
  });
});

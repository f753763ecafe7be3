import { allowedOriginProblem, artifactsBase, fileUrl, importBase, mlflowVersionOf, redirectTarget, sameRegistryVersion } from './import-origin.policy';
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

describe('artifactsBase', () => {
  const tracking = new URL('https://models.example.com/mlflow/');
  it("reads mlflow-artifacts:/ through the tracking server's artifact proxy, and an http(s) URI as given", () => {
    expect(artifactsBase(tracking, 'mlflow-artifacts:/0/8f3e/artifacts/model', ALLOWED).href).toBe('https://models.example.com/mlflow/api/2.0/mlflow-artifacts/artifacts/0/8f3e/artifacts/model/');
    expect(artifactsBase(tracking, 'http://127.0.0.1:9000/bucket/model', ALLOWED).href).toBe('http://127.0.0.1:9000/bucket/model/');
  });

  it('refuses other schemes (400), paths that leave the proxy (400) and http(s) URIs off the allow-list (403)', () => {
    expect(thrown(() => artifactsBase(tracking, 's3://bucket/0/8f3e/artifacts/model', ALLOWED)).message).toContain("artifact URI scheme of 's3://bucket/0/8f3e/artifacts/model' is not supported");
    expect(thrown(() => artifactsBase(tracking, 'runs:/8f3e/model', ALLOWED)).status).toBe(400);
    expect(thrown(() => artifactsBase(tracking, 'mlflow-artifacts:/0/../../../admin', ALLOWED)).message).toContain("the path leaves the model directory ('..')");
    expect(thrown(() => artifactsBase(tracking, 'mlflow-artifacts://other-host/0/model', ALLOWED)).status).toBe(400);
    expect(thrown(() => artifactsBase(tracking, 'https://evil.example.com/model', ALLOWED)).status).toBe(403);
  });
});

describe('mlflowVersionOf', () => {
  it("reads model_version.version, as MLflow's string or a number", () => {
    expect(mlflowVersionOf({ model_version: { name: 'm', version: '7', run_id: 'x' } })).toEqual({ version: '7' });
    expect(mlflowVersionOf({ model_version: { version: 3 } })).toEqual({ version: '3' });
  });

  it('refuses an answer without a version number (502)', () => {
    for (const answer of [null, {}, { model_version: {} }, { model_version: { version: '0' } }, { model_version: { version: '1; x' } }, { model_version: { version: '12345678901' } }]) {
      expect(thrown(() => mlflowVersionOf(answer)).status).toBe(502);
    }
  });
});

describe('sameRegistryVersion', () => {
  const wanted = { trackingUrl: 'https://models.example.com/mlflow/', name: 'fraud', version: '7' };
  it('matches the same tracking server, model and version, whatever the alias', () => {
    expect(sameRegistryVersion({ ...wanted, alias: 'challenger' }, wanted)).toBe(true);
    expect(sameRegistryVersion({ ...wanted, version: '8' }, wanted)).toBe(false);
    expect(sameRegistryVersion({ ...wanted, name: 'other' }, wanted)).toBe(false);
    expect(sameRegistryVersion({ ...wanted, trackingUrl: 'https://models.example.com/' }, wanted)).toBe(false);
    expect(sameRegistryVersion(undefined, wanted)).toBe(false);
  });
});

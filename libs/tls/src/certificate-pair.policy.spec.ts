import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificatePairProblems } from './certificate-pair.policy';

// Certificates made by the project's own development CA script (scripts/dev/ca.sh), two CAs.
const dir = mkdtempSync(join(tmpdir(), 'falaj-tls-spec-'));
const make = (ca: string, ...names: string[]) => execFileSync('bash', [join(__dirname, '../../../scripts/dev/ca.sh'), join(dir, ca), ...names]);
make('ours', 'server', 'other-server');
make('theirs', 'server');
const read = (ca: string, file: string) => readFileSync(join(dir, ca, file));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificatePairProblems', () => {
  it('finds nothing in a certificate, its key and the CA that issued it', () => {
    expect(certificatePairProblems({ cert: read('ours', 'server.crt'), key: read('ours', 'server.key'), ca: read('ours', 'ca.crt') })).toEqual([]);
  });

  it("refuses a key that is not the certificate's", () => {
    expect(certificatePairProblems({ cert: read('ours', 'server.crt'), key: read('ours', 'other-server.key'), ca: read('ours', 'ca.crt') })).toEqual([
      expect.stringContaining("the key is not the certificate's"),
    ]);
  });

  it('refuses a certificate another CA issued', () => {
    expect(certificatePairProblems({ cert: read('theirs', 'server.crt'), key: read('theirs', 'server.key'), ca: read('ours', 'ca.crt') })).toEqual([
      expect.stringContaining('not issued by the configured CA'),
    ]);
  });

  it('accepts a CA bundle holding the issuer among others', () => {
    const bundle = Buffer.concat([read('theirs', 'ca.crt'), read('ours', 'ca.crt')]);
    expect(certificatePairProblems({ cert: read('ours', 'server.crt'), key: read('ours', 'server.key'), ca: bundle })).toEqual([]);
  });

  it('names a file that holds no certificate, and a key that does not parse', () => {
    expect(certificatePairProblems({ cert: Buffer.from('half a rotation'), key: read('ours', 'server.key'), ca: read('ours', 'ca.crt') })).toEqual(['the certificate file holds no PEM certificate']);
    expect(certificatePairProblems({ cert: read('ours', 'server.crt'), key: Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), ca: read('ours', 'ca.crt') })).toEqual([
      expect.stringContaining('the key does not parse'),
    ]);
  });

  it('refuses a certificate outside its validity window', () => {
    const cert = read('ours', 'server.crt');
    const parts = { cert, key: read('ours', 'server.key'), ca: read('ours', 'ca.crt') };
    expect(certificatePairProblems(parts, new Date('2000-01-01'))).toEqual([expect.stringContaining('not valid before')]);
    expect(certificatePairProblems(parts, new Date('2100-01-01'))).toEqual([expect.stringContaining('expired on')]);
  });
});

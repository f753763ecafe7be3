import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCOPES } from '@falaj/auth';
import { FalajSuite, eventually } from '@falaj/testing';

/**
 * Signed artifacts (issue 19, item 3) against the five built apps, real Postgres, Redis, Kafka
 * and a cpu-worker running onnxruntime; the keys are made here (Ed25519 and ECDSA P-256). A
 * tenant that requires signatures: an unsigned upload is refused (422) and audited; one signed by
 * a key it does not trust, or over other bytes, is refused too; a signed one loads and answers.
 * Then one byte of its file in the registry's store is flipped and the worker made to fetch it
 * again (a restart with an empty model cache): the worker refuses to make a session of it, its
 * load state says `signature_invalid`, and the refusal is audited.
 */
jest.setTimeout(240_000);

const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const octet = { 'content-type': 'application/octet-stream' };

interface SigningEvent {
  action: string;
  actor: string;
  model: string | null;
  version: number | null;
  keyId: string | null;
  code: string | null;
  reason: string | null;
}

describe('Signed artifacts (e2e)', () => {
  const suite = new FalajSuite();
  const bytes = readFileSync(MODEL);
  const ed = generateKeyPairSync('ed25519');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = (key: typeof ed.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();
  let admin: string;
  let token: string;
  let edKeyId: string;
  let p256KeyId: string;
  /** The uploader's subject, as the signing audit recorded it. */
  let uploader = '';

  const upload = (headers: Record<string, string> = {}) => suite.call('POST', '/admin/models/scorer/versions', token, bytes, { ...octet, ...headers });
  const events = async (): Promise<SigningEvent[]> => (await suite.call('GET', '/admin/tenants/signed/signing-audit', admin)).json.events;

  beforeAll(async () => {
    await suite.start();
    admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'signed', name: 'Signed', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'signed', subject: 'uploader', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.deploymentsWrite] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'scorer' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it('manages trusted keys through the admin API (platform admin only), the algorithm told from the key', async () => {
    const added = await suite.call('POST', '/admin/tenants/signed/trusted-keys', admin, { publicKey: pem(ed.publicKey) });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ algorithm: 'ed25519', revokedAt: null });
    expect(added.json.keyId).toMatch(/^[0-9a-f]{16}$/);
    edKeyId = added.json.keyId;
    const second = await suite.call('POST', '/admin/tenants/signed/trusted-keys', admin, { publicKey: pem(p256.publicKey) });
    expect(second.json.algorithm).toBe('ecdsa-p256-sha256');
    p256KeyId = second.json.keyId;
    expect((await suite.call('POST', '/admin/tenants/signed/trusted-keys', admin, { publicKey: pem(ed.publicKey) })).status).toBe(409);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await suite.call('POST', '/admin/tenants/signed/trusted-keys', admin, { publicKey: pem(rsa.publicKey) })).status).toBe(400);
    // The tenant's own account may not change what its uploads are checked against.
    expect((await suite.call('POST', '/admin/tenants/signed/trusted-keys', token, { publicKey: pem(ed.publicKey) })).status).toBe(403);
    const listed = await suite.call('GET', '/admin/tenants/signed/trusted-keys', admin);
    expect(listed.json.keys.map((k: { keyId: string }) => k.keyId)).toEqual([edKeyId, p256KeyId]);
    expect((await suite.call('PUT', '/admin/tenants/signed/signing-policy', admin, { requireSignatures: true })).json).toEqual({ requireSignatures: true });
    expect((await suite.call('GET', '/admin/tenants/signed', admin)).json.requireSignatures).toBe(true);
    // A tenant deleted takes its keys with it: made again under the same id, it trusts none.
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'gone', name: 'Gone', residency: 'ae' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/tenants/gone/trusted-keys', admin, { publicKey: pem(ed.publicKey) })).status).toBe(201);
    expect((await suite.call('DELETE', '/admin/tenants/gone', admin)).status).toBe(200);
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'gone', name: 'Gone', residency: 'ae' })).status).toBe(201);
    expect((await suite.call('GET', '/admin/tenants/gone/trusted-keys', admin)).json.keys).toEqual([]);
    const trail = await events();
    expect(trail.map((e) => [e.action, e.keyId])).toEqual([
      ['policy.set', null],
      ['key.added', p256KeyId],
      ['key.added', edKeyId],
    ]);
  });

  it('refuses an unsigned upload (422) and audits the refusal', async () => {
    const refused = await upload();
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatch(/tenant 'signed' requires signed artifacts: send x-falaj-signature/);
    expect((await suite.call('GET', '/admin/models/scorer/versions', token)).json.versions).toEqual([]);
    const [latest] = await events();
    expect(latest).toMatchObject({ action: 'upload.refused', model: 'scorer', code: 'signature_required' });
    uploader = latest.actor;
  });

  it("refuses a signature over other bytes, an unknown key's, a malformed header and a revoked key's", async () => {
    const other = Buffer.from(bytes);
    other[other.length - 1] ^= 0xff;
    const overOther = await upload({ 'x-falaj-signature': `${edKeyId}:${sign(null, other, ed.privateKey).toString('base64')}` });
    expect(overOther.status).toBe(422);
    expect(overOther.json.error).toContain(`not key ${edKeyId}'s over these bytes`);
    expect((await upload({ 'x-falaj-signature': `0123456789abcdef:${sign(null, bytes, ed.privateKey).toString('base64')}` })).status).toBe(422);
    expect((await upload({ 'x-falaj-signature': 'not a signature' })).status).toBe(400);

    // A key revoked: what it signs is refused from then on.
    const spare = generateKeyPairSync('ed25519');
    const spareId = (await suite.call('POST', '/admin/tenants/signed/trusted-keys', admin, { publicKey: pem(spare.publicKey) })).json.keyId as string;
    const revoked = await suite.call('DELETE', `/admin/tenants/signed/trusted-keys/${spareId}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    const byRevoked = await upload({ 'x-falaj-signature': `${spareId}:${sign(null, bytes, spare.privateKey).toString('base64')}` });
    expect(byRevoked.status).toBe(422);
    expect(byRevoked.json.error).toContain(`key ${spareId} was revoked`);

    const codes = (await events()).filter((e) => e.action === 'upload.refused').map((e) => e.code);
    expect(codes.slice(0, 4)).toEqual(['signature_key_revoked', 'signature_malformed', 'signature_key_unknown', 'signature_invalid']);
    expect((await events()).some((e) => e.action === 'key.revoked' && e.keyId === spareId)).toBe(true);
  });

  it('accepts a signed upload (Ed25519), keeps its signature, loads it on the worker and answers', async () => {
    const signed = await upload({ 'x-falaj-signature': `${edKeyId}:${sign(null, bytes, ed.privateKey).toString('base64')}` });
    expect(signed.status).toBe(201);
    expect(signed.json.version).toBe(1);
    const [kept] = await suite.query<{ key_id: string; algorithm: string }>(
      `SELECT s.key_id, s.algorithm FROM artifact_signatures s JOIN model_versions v ON v.id = s.version_id JOIN models m ON m.id = v.model_id WHERE m.tenant_id = 'signed' AND v.version = 1`,
    );
    expect(kept).toEqual({ key_id: edKeyId, algorithm: 'ed25519' });
    // The same bytes signed with ECDSA P-256 (DER, as openssl writes it) make version 2.
    const ecdsa = await upload({ 'x-falaj-signature': `${p256KeyId}:${sign('sha256', bytes, p256.privateKey).toString('base64')}` });
    expect(ecdsa.status).toBe(201);

    expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('version 1 ready', async () => ((await suite.call('GET', '/v2/models/scorer/ready', token)).status === 200 ? true : undefined), 90_000);
    const answer = await suite.call('POST', '/v2/models/scorer/infer', token, BODY);
    expect(answer.status).toBe(200);
    expect(answer.json.outputs?.[0]?.data.length).toBeGreaterThan(0);
  });

  it('refuses at worker load an artifact whose stored bytes were changed, says signature_invalid in the load state, and audits it', async () => {
    const [{ sha256 }] = await suite.query<{ sha256: string }>(
      `SELECT v.sha256 FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.tenant_id = 'signed' AND m.name = 'scorer' AND v.version = 1`,
    );
    const stored = join(suite.workDir, 'artifacts', 'sha256', sha256.slice(0, 2), `${sha256}.onnx`);
    const tampered = readFileSync(stored);
    tampered[Math.floor(tampered.length / 2)] ^= 0x01;
    writeFileSync(stored, tampered);
    // An empty cache: the worker fetches the (changed) bytes from the store again, as a new worker would.
    // Live, never ready: the one version it serves is refused.
    await suite.restartApp('cpu-worker', { FALAJ_MODEL_CACHE_DIR: join(suite.workDir, 'cache-after-tamper') }, 'live');

    const failed = await eventually(
      'version 1 failed on the worker for its signature',
      async () => {
        const status = (await suite.call('GET', '/admin/models/scorer/versions/1/status', token)).json;
        const workers = (status.pools ?? []).flatMap((p: { workers?: { state: string; reason?: string }[] }) => p.workers ?? []);
        return workers.find((w: { state: string; reason?: string }) => w.state === 'failed' && w.reason?.startsWith('signature_invalid')) as { reason: string } | undefined;
      },
      60_000,
    );
    expect(failed.reason).toContain(`do not verify against key ${edKeyId} (ed25519)`);
    expect((await suite.call('POST', '/v2/models/scorer/infer', token, BODY)).status).not.toBe(200);

    const refusal = await eventually('the load refusal audited', async () => (await events()).find((e) => e.action === 'load.refused'), 20_000);
    expect(refusal).toMatchObject({ model: 'scorer', version: 1, code: 'signature_invalid' });
    expect(refusal.actor).not.toBe(uploader);
    expect(refusal.actor).not.toBe('');
    expect(refusal.reason).toMatch(/^signature_invalid: /);
  });

  it("refuses a load-refusal report about a version that does not exist (404) or from a tenant's credential (403), and audits neither", async () => {
    const report = (version: number) => ({ tenantId: 'signed', model: 'scorer', version, refusal: 'signature_invalid', reason: 'signature_invalid: forged' });
    const post = (bearer: string, body: unknown) =>
      fetch(`${suite.registryUrl}/internal/signatures/refusals`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // The worker's own client (artifacts:read), as the cpu-worker holds it.
    const worker = await suite.clientToken({ clientId: 'e2e-cpu-worker', clientSecret: readFileSync(join(suite.workDir, 'secrets', 'cpu-worker.secret'), 'utf8') });
    const before = (await events()).length;
    const missing = await post(worker, report(999));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe("version 999 of model 'scorer' of tenant 'signed' not found");
    expect((await post(worker, { ...report(1), tenantId: 'no-such-tenant' })).status).toBe(404);
    expect((await post(token, report(1))).status).toBe(403);
    expect((await post(worker, { ...report(1), extra: 'field' })).status).toBe(400);
    expect((await events()).length).toBe(before);
  });
});

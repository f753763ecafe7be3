import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, repoRoot } from '@falaj/testing';
import type { FalajSuite, SuiteClient } from '@falaj/testing';

/**
 * A tenant (residency ae) with tiny-mlp v1 in production and ready, and a client of it that may
 * infer: what the soak and the chaos run put their load on.
 */
export async function tenantServingTinyMlp(suite: FalajSuite, tenant: string): Promise<SuiteClient> {
  const admin = await suite.platformAdminToken();
  await suite.call('POST', '/admin/tenants', admin, { id: tenant, name: tenant, residency: 'ae' });
  const client = await suite.createClient(tenant, ['infer', 'models:read', 'models:write'], tenant);
  const token = await suite.clientToken(client);
  await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
  await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(join(repoRoot(), 'models/tiny-mlp.onnx')), { 'content-type': 'application/octet-stream' });
  await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
  await eventually('tiny-mlp ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 120_000, 200);
  return client;
}

import { readFileSync } from 'node:fs';
import { eventually, type FalajSuite } from '@falaj/testing';
import type { BenchModel } from './bench-models';

/**
 * What every bench does before it measures: a tenant, its token, each model uploaded, promoted
 * and deployed with its sessions × threads as a user would set them, then waited for.
 */

/** The `bench` tenant (residency ae) and a token that may infer, read, write and deploy models. */
export async function onboard(suite: FalajSuite): Promise<string> {
  const admin = await suite.platformAdminToken();
  const tenant = await suite.call('POST', '/admin/tenants', admin, { id: 'bench', name: 'Benchmark', residency: 'ae' });
  if (tenant.status !== 201) throw new Error(`creating the tenant: ${tenant.status} ${tenant.text}`);
  return suite.token({ tenantId: 'bench', subject: 'bench', scopes: ['infer', 'models:read', 'models:write', 'deployments:write'] });
}

/** Version 1 of the model, in production, deployed on `sessions` instances of `threads` intra-op threads. */
export async function register(suite: FalajSuite, token: string, model: BenchModel, sessions: number, threads: number): Promise<void> {
  const created = await suite.call('POST', '/admin/models', token, { name: model.name, description: model.label });
  if (created.status !== 201) throw new Error(`creating ${model.name}: ${created.status} ${created.text}`);
  const version = await suite.call('POST', `/admin/models/${model.name}/versions`, token, readFileSync(model.path), {
    'content-type': 'application/octet-stream',
  });
  if (version.status !== 201) throw new Error(`uploading ${model.name}: ${version.status} ${version.text}`);
  const promoted = await suite.call('POST', `/admin/models/${model.name}/versions/1/stage`, token, { stage: 'production' });
  if (promoted.status !== 200) throw new Error(`promoting ${model.name}: ${promoted.status} ${promoted.text}`);
  const deployed = await suite.call('PUT', `/admin/models/${model.name}/deployment`, token, {
    targets: [{ version: 1, weight: 100 }],
    instanceCount: sessions,
    reason: `bench: ${sessions} session(s) × ${threads} thread(s)`,
  });
  if (deployed.status !== 200) throw new Error(`deploying ${model.name}: ${deployed.status} ${deployed.text}`);
  await waitReady(suite, token, model, sessions);
}

/** Ready at the gateway, with the worker holding the model's sessions (a new instance count reloads it). */
export async function waitReady(suite: FalajSuite, token: string, model: BenchModel, sessions: number): Promise<void> {
  await eventually(`${model.name} ready`, async () => ((await suite.call('GET', `/v2/models/${model.name}/ready`, token)).status === 200 ? true : undefined), 120_000, 200);
  await eventually(
    `${model.name} on ${sessions} session(s)`,
    async () => {
      const beat = (await workerHeartbeat(suite)) as { models?: { model: string; state?: string; instances?: number }[] };
      return beat.models?.some((m) => m.model === model.name && m.state === 'ready' && m.instances === sessions) ? true : undefined;
    },
    120_000,
    200,
  );
}

/** The cpu-worker's `/health/status`: its models, their batch sizes and execution times. */
export async function workerHeartbeat(suite: FalajSuite): Promise<unknown> {
  const status = await fetch(suite.app('cpu-worker').healthUrl.replace('/health/ready', '/health/status'), {
    headers: { authorization: `Bearer ${await suite.platformAdminToken()}` },
  });
  return status.json();
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

/**
 * Every manifest of k8s/ (and k8s/monitoring/) validated against the Kubernetes API's schemas
 * (and cert-manager's and KEDA's, for their kinds) with kubernetes-models, since no cluster runs
 * here: a typo in a field, a wrong type or a missing required field fails `npm test`.
 * Prometheus' rule files there are not Kubernetes objects; promtool checks them
 * (test/monitoring/prometheus-rules.integration-spec.ts).
 */
const ROOT = join(__dirname, '..', '..', 'k8s');
type Model = new (data: Record<string, unknown>) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'cert-manager.io/v1/Certificate': Certificate as unknown as Model,
  'cert-manager.io/v1/Issuer': Issuer as unknown as Model,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as Model,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as unknown as Model,
};
const RULE_FILES = new Set(['falaj-rules.yaml', 'falaj-rules.test.yaml']);

const manifests = [ROOT, join(ROOT, 'monitoring')].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !RULE_FILES.has(f))
    .flatMap((file) =>
      (loadAll(readFileSync(join(dir, file), 'utf8')) as (Record<string, unknown> | null)[])
        .filter((doc): doc is Record<string, unknown> => doc !== null)
        .map((doc, i) => ({ where: `${dir === ROOT ? '' : 'monitoring/'}${file}#${i}`, doc })),
    ),
);

describe('k8s manifests', () => {
  it('finds them all, of kinds it knows', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(37);
    for (const { where, doc } of manifests)
      expect({ where, kind: `${String(doc.apiVersion)}/${String(doc.kind)}`, known: `${String(doc.apiVersion)}/${String(doc.kind)}` in MODELS }).toMatchObject({ known: true });
  });

  it.each(manifests.map((m) => [m.where, m.doc] as const))('%s is valid against its schema', (_where, doc) => {
    const Kind = MODELS[`${String(doc.apiVersion)}/${String(doc.kind)}`];
    expect(() => new Kind(doc).validate()).not.toThrow();
  });

  it('refuses a manifest with a wrong field (the check can fail)', () => {
    const deployment = manifests.find((m) => m.doc.kind === 'Deployment')!.doc as { spec: { replicas?: unknown } };
    expect(() => new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } } as never).validate()).toThrow();
  });

  it('gives the gateway, the router and the registry the one payload key as a mounted file, and no other app', () => {
    interface Container {
      env?: { name: string; value?: string }[];
      volumeMounts?: { name: string; mountPath: string }[];
    }
    interface PodDeployment {
      metadata: { name: string };
      spec: { template: { spec: { containers: Container[]; volumes?: { name: string; secret?: { secretName: string } }[] } } };
    }
    const deployments = manifests.filter((m) => m.doc.kind === 'Deployment').map((m) => m.doc as unknown as PodDeployment);
    const holders = deployments.filter((d) => d.spec.template.spec.containers.some((c) => c.env?.some((e) => e.name === 'FALAJ_PAYLOAD_KEY_FILE'))).map((d) => d.metadata.name);
    expect(holders.sort()).toEqual(['gateway', 'registry', 'router']);
    for (const d of deployments.filter((x) => holders.includes(x.metadata.name))) {
      const [container] = d.spec.template.spec.containers;
      const file = container.env!.find((e) => e.name === 'FALAJ_PAYLOAD_KEY_FILE')!.value!;
      const mount = container.volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`));
      expect({ app: d.metadata.name, mounted: mount !== undefined }).toEqual({ app: d.metadata.name, mounted: true });
      expect(d.spec.template.spec.volumes!.find((v) => v.name === mount!.name)?.secret?.secretName).toBe('falaj-payload-key');
    }
  });
});

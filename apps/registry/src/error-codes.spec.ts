import { DomainError, SIGNATURE_REFUSALS } from '@falaj/contracts';
import { ALIASES_ERROR_CODES, AliasesError } from './aliases/aliases.exception';
import { AUDIT_ERROR_CODES, AuditError } from './audit/audit.exception';
import { BATCH_ERROR_CODES, BatchError } from './batch/batch.exception';
import { CATALOG_ERROR_CODES, CatalogError } from './catalog/catalog.exception';
import { DEPLOYMENTS_ERROR_CODES, DeploymentsError } from './deployments/deployments.exception';
import { IMPORTS_ERROR_CODES, ImportsError } from './imports/imports.exception';
import { KAFKA_ACCESS_ERROR_CODES, KafkaAccessError } from './kafka-access/kafka-access.exception';
import { MODELS_ERROR_CODES, ModelsError } from './models/models.exception';
import { O_AUTH_CLIENTS_ERROR_CODES, OAuthClientsError } from './oauth/oauth.exception';
import { QUOTAS_ERROR_CODES, QuotasError } from './quotas/quotas.exception';
import { NO_REGION_STORE_ERROR_CODES, NoRegionStoreError } from './region-stores/region-store.selection';
import { RETENTION_ERROR_CODES, RetentionError } from './retention/retention.exception';
import { ROLLOUTS_ERROR_CODES, RolloutsError } from './rollouts/rollouts.exception';
import { SIGNING_ERROR_CODES, SigningError } from './signing/signing.exception';
import { TENANTS_ERROR_CODES, TenantsError } from './tenants/tenants.exception';
import { VERSIONS_ERROR_CODES, VersionsError } from './versions/versions.exception';

type Factory = (...args: never[]) => DomainError;

/** A capability's error class, its codes, and arguments for each of its factories: every factory must be listed. */
interface Capability {
  errorClass: abstract new (...args: never[]) => DomainError;
  codes: readonly string[];
  factories: Record<string, unknown[][]>;
}

const CAPABILITIES: Capability[] = [
  { errorClass: AliasesError, codes: ALIASES_ERROR_CODES, factories: { notFound: [['m', 'prod']] } },
  { errorClass: AuditError, codes: AUDIT_ERROR_CODES, factories: { badCursor: [[]], otherTenant: [['a', 'b']] } },
  {
    errorClass: BatchError,
    codes: BATCH_ERROR_CODES,
    factories: {
      notFound: [['j']],
      badRow: [
        [1, 'x'],
        [2, 'y', 404],
      ],
      rowTooLarge: [[3, 100]],
      jobTooLarge: [[100]],
      tenantBytes: [
        [100, true],
        [100, false],
      ],
      tooManyJobs: [[4]],
      expired: [['j', new Date(0)]],
      finished: [['j', 'done']],
    },
  },
  { errorClass: CatalogError, codes: CATALOG_ERROR_CODES, factories: { badTransition: [['staging', 'archived']] } },
  {
    errorClass: DeploymentsError,
    codes: DEPLOYMENTS_ERROR_CODES,
    factories: { notFound: [['m']], nothingToSwitchBack: [['m']], noShadow: [['m']], overMaxima: [[['too many'], 'instance_count']], invalid: [[['bad']]] },
  },
  {
    errorClass: ImportsError,
    codes: IMPORTS_ERROR_CODES,
    factories: {
      invalidMlModel: [['flavors', 'none']],
      missingFile: [['model.onnx']],
      badArchive: [['cut']],
      archiveTooLarge: [['the archive', 10]],
      signatureMismatch: [[['input x']]],
      badUrl: [['no host']],
      originNotAllowed: [['https://evil.example.com']],
      upstream: [[502, 'gone']],
    },
  },
  { errorClass: KafkaAccessError, codes: KAFKA_ACCESS_ERROR_CODES, factories: { unavailable: [[]], platformAccount: [[]] } },
  { errorClass: ModelsError, codes: MODELS_ERROR_CODES, factories: { notFound: [['m']], exists: [['m']], serving: [['m', 'v2 in production']] } },
  { errorClass: OAuthClientsError, codes: O_AUTH_CLIENTS_ERROR_CODES, factories: { notFound: [['c']], scopesNotAllowed: [['acme', ['platform:admin']]] } },
  { errorClass: QuotasError, codes: QUOTAS_ERROR_CODES, factories: { noTenantQuota: [['acme']], noModelQuota: [['m']] } },
  { errorClass: RetentionError, codes: RETENTION_ERROR_CODES, factories: { busy: [[]] } },
  {
    errorClass: RolloutsError,
    codes: ROLLOUTS_ERROR_CODES,
    factories: { notFound: [['m', 'r']], active: [['m', 'r']], noBaseline: [['m', 'none']], sameVersion: [[2]], notIn: [['r', 'aborted', 'advance']] },
  },
  {
    errorClass: SigningError,
    codes: SIGNING_ERROR_CODES,
    factories: {
      refused: SIGNATURE_REFUSALS.map((refusal) => [refusal, 'refused']),
      invalidKey: [['rsa']],
      keyExists: [['acme', 'k']],
      keyNotFound: [['acme', 'k']],
      tenantNotFound: [['acme']],
      versionNotFound: [['acme', 'm', 1]],
    },
  },
  { errorClass: TenantsError, codes: TENANTS_ERROR_CODES, factories: { notFound: [['t']], notEmpty: [['t', { clients: 1, apiKeys: 0, models: 0 }]], exists: [['t']] } },
  {
    errorClass: VersionsError,
    codes: VERSIONS_ERROR_CODES,
    factories: {
      notFound: [['m', 1]],
      invalidModel: [['no graph']],
      externalDataEscapes: [[['../x']]],
      invalidLineage: [['unknown parent']],
      tooLarge: [[10]],
      overModelLimits: [[['too many inputs']]],
      overStorageQuota: [[10]],
      emptyUpload: [[]],
      badTransition: [['archived', 'production']],
      inDeployment: [[1, 2]],
      nothingToRollBackTo: [['m']],
    },
  },
];

function staticFactories(errorClass: object): string[] {
  return Object.getOwnPropertyNames(errorClass).filter((name) => typeof (errorClass as Record<string, unknown>)[name] === 'function');
}

describe('registry error codes', () => {
  describe.each(CAPABILITIES.map((capability) => [capability.errorClass.name, capability] as const))('%s', (_name, { errorClass, codes, factories }) => {
    it('declares distinct snake_case codes', () => {
      expect(new Set(codes).size).toBe(codes.length);
      for (const code of codes) expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    });

    it('lists every factory here', () => {
      expect(staticFactories(errorClass).sort()).toEqual(Object.keys(factories).sort());
    });

    it('gives each factory a status and a code of its own tuple', () => {
      for (const [name, calls] of Object.entries(factories)) {
        const factory = (errorClass as unknown as Record<string, Factory>)[name];
        for (const args of calls) {
          const error = factory(...(args as never[]));
          expect(error).toBeInstanceOf(errorClass);
          expect(error).toBeInstanceOf(DomainError);
          expect(codes).toContain(error.code);
          expect(error.status).toBeGreaterThanOrEqual(400);
          expect(error.status).toBeLessThan(600);
          expect(error.message).not.toBe('');
        }
      }
    });
  });

  it('gives a region without a store its code', () => {
    const error = new NoRegionStoreError('eu');
    expect(NO_REGION_STORE_ERROR_CODES).toContain(error.code);
    expect(error.status).toBe(503);
  });
});

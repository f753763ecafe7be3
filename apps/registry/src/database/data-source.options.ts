import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConnection } from './database-connection';
import { AuditRecordEntity } from '../audit/audit-record.entity';
import { CATALOG_ENTITIES } from '../catalog';
import { TenantEntity } from '../tenants/tenant.entity';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { BatchChunkEntity } from '../batch/batch-chunk.entity';
import { BatchJobEntity } from '../batch/batch-job.entity';
import { BatchRowEntity } from '../batch/batch-row.entity';
import { InitialSchema1764331200000 } from './migrations/1764331200000-initial-schema';
import { BatchJobs1764400000000 } from './migrations/1764400000000-batch-jobs';
import { RegistryLifecycle1764500000000 } from './migrations/1764500000000-registry-lifecycle';
import { AuditPlacement1764650000000 } from './migrations/1764650000000-audit-placement';
import { Rollouts1764700000000 } from './migrations/1764700000000-rollouts';
import { Quotas1764800000000 } from './migrations/1764800000000-quotas';
import { AuditEventId1764900000000 } from './migrations/1764900000000-audit-event-id';
import { OAuthIssuer1764950000000 } from './migrations/1764950000000-oauth-issuer';
import { ResourceLimits1765000000000 } from './migrations/1765000000000-resource-limits';
import { JobPlacement1765100000000 } from './migrations/1765100000000-job-placement';
import { PayloadLogging1765200000000 } from './migrations/1765200000000-payload-logging';
import { AuditKeysetIndex1765240000000 } from './migrations/1765240000000-audit-keyset-index';
import { AuditTimePartitions1765300000000 } from './migrations/1765300000000-audit-time-partitions';
import { Retention1765310000000 } from './migrations/1765310000000-retention';
import { PayloadLogEntity } from '../audit/payload-log.entity';
import { RetentionRunEntity } from '../retention/retention-run.entity';
import { TenantMustAudit1765320000000 } from './migrations/1765320000000-tenant-must-audit';
import { Erasure1765330000000 } from './migrations/1765330000000-erasure';
import { JobTrace1765340000000 } from './migrations/1765340000000-job-trace';
import { JobList1765350000000 } from './migrations/1765350000000-job-list';
import { CatalogForeignKeys1765360000000 } from './migrations/1765360000000-catalog-foreign-keys';
import { SignedArtifacts1765370000000 } from './migrations/1765370000000-signed-artifacts';
import { ErasureRequestEntity } from '../erasure/erasure-request.entity';
import { OAuthClientEntity } from '../oauth/oauth-client.entity';
import { RevokedTokenEntity } from '../oauth/revoked-token.entity';
import { SigningKeyEntity } from '../oauth/signing-key.entity';
import { RolloutEventEntity } from '../rollouts/rollout-event.entity';
import { RolloutEntity } from '../rollouts/rollout.entity';
import { ArtifactSignatureEntity } from '../signing/artifact-signature.entity';
import { SigningEventEntity } from '../signing/signing-event.entity';
import { TrustedKeyEntity } from '../signing/trusted-key.entity';

export const ENTITIES = [
  TenantEntity,
  ...CATALOG_ENTITIES,
  AuditRecordEntity,
  PayloadLogEntity,
  ApiKeyEntity,
  BatchJobEntity,
  BatchChunkEntity,
  BatchRowEntity,
  RolloutEntity,
  RolloutEventEntity,
  OAuthClientEntity,
  SigningKeyEntity,
  RevokedTokenEntity,
  RetentionRunEntity,
  ErasureRequestEntity,
  TrustedKeyEntity,
  ArtifactSignatureEntity,
  SigningEventEntity,
];
export const MIGRATIONS = [
  InitialSchema1764331200000,
  BatchJobs1764400000000,
  RegistryLifecycle1764500000000,
  AuditPlacement1764650000000,
  Rollouts1764700000000,
  Quotas1764800000000,
  AuditEventId1764900000000,
  OAuthIssuer1764950000000,
  ResourceLimits1765000000000,
  JobPlacement1765100000000,
  PayloadLogging1765200000000,
  AuditKeysetIndex1765240000000,
  AuditTimePartitions1765300000000,
  Retention1765310000000,
  TenantMustAudit1765320000000,
  Erasure1765330000000,
  JobTrace1765340000000,
  JobList1765350000000,
  CatalogForeignKeys1765360000000,
  SignedArtifacts1765370000000,
];

/** Schema changes only by migration (never `synchronize`); they run at boot, in one transaction each. */
export function dataSourceOptions(connection: DatabaseConnection): DataSourceOptions {
  return {
    type: 'postgres',
    host: connection.host,
    port: connection.port,
    database: connection.database,
    username: connection.user,
    ...(connection.password !== undefined ? { password: connection.password } : {}),
    ssl: connection.ssl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'warn', 'migration'],
  };
}

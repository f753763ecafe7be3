import type { DataSourceOptions } from 'typeorm';
import { AuditRecordEntity } from '../audit/audit-record.entity';
import { ModelEntity } from '../models/model.entity';
import { TenantEntity } from '../tenants/tenant.entity';
import { ModelVersionEntity } from '../versions/model-version.entity';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { ModelAliasEntity } from '../aliases/model-alias.entity';
import { BatchChunkEntity } from '../batch/batch-chunk.entity';
import { BatchJobEntity } from '../batch/batch-job.entity';
import { BatchRowEntity } from '../batch/batch-row.entity';
import { DeploymentRevisionEntity } from '../deployments/deployment-revision.entity';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { StageTransitionEntity } from '../transitions/stage-transition.entity';
import { InitialSchema1764331200000 } from './migrations/1764331200000-initial-schema';
import { BatchJobs1764400000000 } from './migrations/1764400000000-batch-jobs';
import { RegistryLifecycle1764500000000 } from './migrations/1764500000000-registry-lifecycle';
import { AuditPlacement1764650000000 } from './migrations/1764650000000-audit-placement';
import { Rollouts1764700000000 } from './migrations/1764700000000-rollouts';
import { Quotas1764800000000 } from './migrations/1764800000000-quotas';
import { RolloutEventEntity } from '../rollouts/rollout-event.entity';
import { RolloutEntity } from '../rollouts/rollout.entity';

export const ENTITIES = [
  TenantEntity,
  ModelEntity,
  ModelVersionEntity,
  AuditRecordEntity,
  ModelAliasEntity,
  StageTransitionEntity,
  DeploymentEntity,
  DeploymentRevisionEntity,
  ApiKeyEntity,
  BatchJobEntity,
  BatchChunkEntity,
  BatchRowEntity,
  RolloutEntity,
  RolloutEventEntity,
];
export const MIGRATIONS = [
  InitialSchema1764331200000,
  BatchJobs1764400000000,
  RegistryLifecycle1764500000000,
  AuditPlacement1764650000000,
  Rollouts1764700000000,
  Quotas1764800000000,
];

/** Schema changes only by migration (never `synchronize`); they run at boot, in one transaction each. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'warn', 'migration'],
  };
}

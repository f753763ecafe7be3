import { DeploymentRevisionEntity } from './deployment-revision.entity';
import { DeploymentEntity } from './deployment.entity';
import { ModelAliasEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';
import { StageTransitionEntity } from './stage-transition.entity';

// The catalog's public face. Its entities leave it as types only: other modules hold and pass
// the records, and read or change them through the catalog (module-boundaries.spec.ts).
export { CatalogError } from './catalog.exception';
export { CatalogModule } from './catalog.module';
export { CatalogReader, type ModelFilter } from './catalog.reader';
export { CatalogRepository, type NewVersion, type StageChange } from './catalog.repository';
export type { DeploymentSpec } from './deployment-spec';
export { canTransition, rollbackTarget, type TransitionRecord } from './stage-transition.policy';
export type { DeploymentEntity, DeploymentRevisionEntity, ModelAliasEntity, ModelEntity, ModelVersionEntity, StageTransitionEntity };

/** For the DataSource alone (database/data-source.options.ts), which must know every table. */
export const CATALOG_ENTITIES = [ModelEntity, ModelVersionEntity, ModelAliasEntity, StageTransitionEntity, DeploymentEntity, DeploymentRevisionEntity];

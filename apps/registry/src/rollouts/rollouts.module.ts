import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AliasesModule } from '../aliases/aliases.module';
import { CatalogModule } from '../catalog';
import { DeploymentsModule } from '../deployments/deployments.module';
import { LoadStateModule } from '../load-state/load-state.module';
import { ModelsModule } from '../models/models.module';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { RolloutEventEntity } from './rollout-event.entity';
import { RolloutMetricsReader } from './rollout-metrics.reader';
import { RolloutDriver } from './rollout.driver';
import { RolloutEntity } from './rollout.entity';
import { RolloutsController } from './rollouts.controller';
import { RolloutsService } from './rollouts.service';

/** Progressive rollouts: plans, the driver that judges them on live traffic, and their admin API. */
@Module({
  imports: [TypeOrmModule.forFeature([RolloutEntity, RolloutEventEntity]), CatalogModule, ModelsModule, AliasesModule, DeploymentsModule, LoadStateModule, TenantRecordsModule],
  controllers: [RolloutsController],
  providers: [RolloutsService, RolloutMetricsReader, RolloutDriver],
})
export class RolloutsModule {}

import { Module } from '@nestjs/common';
import { AliasesModule } from '../aliases/aliases.module';
import { CatalogModule } from '../catalog';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { ModelsModule } from '../models/models.module';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { ShadowReportReader } from './shadow-report.reader';

@Module({
  imports: [CatalogModule, LifecycleModule, ModelsModule, AliasesModule],
  controllers: [DeploymentsController],
  providers: [DeploymentsService, ShadowReportReader],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AliasesModule } from '../aliases/aliases.module';
import { ModelsModule } from '../models/models.module';
import { TransitionsModule } from '../transitions/transitions.module';
import { DeploymentRevisionEntity } from './deployment-revision.entity';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { ShadowReportReader } from './shadow-report.reader';

@Module({
  imports: [TypeOrmModule.forFeature([DeploymentEntity, DeploymentRevisionEntity]), ModelsModule, AliasesModule, TransitionsModule],
  controllers: [DeploymentsController],
  providers: [DeploymentsService, ShadowReportReader],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}

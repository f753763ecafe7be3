import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelsModule } from '../models/models.module';
import { StageTransitionEntity } from './stage-transition.entity';
import { StageWriter } from './stage.writer';
import { TransitionsController } from './transitions.controller';
import { TransitionsService } from './transitions.service';

@Module({
  imports: [TypeOrmModule.forFeature([StageTransitionEntity]), ModelsModule],
  controllers: [TransitionsController],
  providers: [StageWriter, TransitionsService],
  exports: [StageWriter],
})
export class TransitionsModule {}

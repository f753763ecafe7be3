import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelsModule } from '../models/models.module';
import { AliasesController } from './aliases.controller';
import { AliasesService } from './aliases.service';
import { ModelAliasEntity } from './model-alias.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ModelAliasEntity]), ModelsModule],
  controllers: [AliasesController],
  providers: [AliasesService],
  exports: [AliasesService],
})
export class AliasesModule {}

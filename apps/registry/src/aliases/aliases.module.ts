import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { ModelsModule } from '../models/models.module';
import { AliasesController } from './aliases.controller';
import { AliasesService } from './aliases.service';

@Module({
  imports: [CatalogModule, ModelsModule],
  controllers: [AliasesController],
  providers: [AliasesService],
  exports: [AliasesService],
})
export class AliasesModule {}

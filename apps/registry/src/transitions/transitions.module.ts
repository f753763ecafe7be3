import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { ModelsModule } from '../models/models.module';
import { TransitionsController } from './transitions.controller';
import { TransitionsService } from './transitions.service';

@Module({
  imports: [CatalogModule, ModelsModule],
  controllers: [TransitionsController],
  providers: [TransitionsService],
})
export class TransitionsModule {}

import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { ImportsController } from './imports.controller';
import { ImportsService } from './imports.service';

@Module({
  imports: [VersionsModule],
  controllers: [ImportsController],
  providers: [ImportsService],
})
export class ImportsModule {}

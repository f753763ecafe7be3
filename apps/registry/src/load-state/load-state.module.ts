import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { LoadStateController } from './load-state.controller';
import { WorkerHeartbeatsReader } from './worker-heartbeats.reader';

@Module({
  imports: [VersionsModule],
  controllers: [LoadStateController],
  providers: [WorkerHeartbeatsReader],
  exports: [WorkerHeartbeatsReader],
})
export class LoadStateModule {}

import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { VersionsModule } from '../versions/versions.module';
import { LoadStateController } from './load-state.controller';
import { WorkerHeartbeatsReader } from './worker-heartbeats.reader';

@Module({
  imports: [VersionsModule, LifecycleModule],
  controllers: [LoadStateController],
  providers: [WorkerHeartbeatsReader],
  exports: [WorkerHeartbeatsReader],
})
export class LoadStateModule {}

import { Module } from '@nestjs/common';
import { StreamingBridge } from './streaming.bridge';
import { StreamingMetrics } from './streaming.metrics';

@Module({
  providers: [StreamingMetrics, StreamingBridge],
  exports: [StreamingBridge],
})
export class StreamingModule {}

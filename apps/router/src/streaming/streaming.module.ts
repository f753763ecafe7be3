import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { StreamingBridge } from './streaming.bridge';
import { StreamingMetrics } from './streaming.metrics';

@Module({
  controllers: [MetricsController],
  providers: [StreamingMetrics, StreamingBridge],
  exports: [StreamingBridge],
})
export class StreamingModule {}

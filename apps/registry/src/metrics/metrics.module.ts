import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** `GET /metrics`: what the registry refused for its named limits. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}

import { Module } from '@nestjs/common';
import { BatchModule } from '../batch/batch.module';
import { RegistryMetrics } from './registry.metrics';

/** The registry's own metrics (queue depths, audit lag) in the app's registry; `/metrics` is MetricsModule's. */
@Module({ imports: [BatchModule], providers: [RegistryMetrics] })
export class RegistryMetricsModule {}

import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BatchModule } from '../batch/batch.module';
import { RegistryMetrics } from './registry.metrics';

/** The registry's own metrics (queue depths, audit lag) in the app's registry; `/metrics` is MetricsModule's. */
@Module({ imports: [BatchModule, AuditModule], providers: [RegistryMetrics] })
export class RegistryMetricsModule {}

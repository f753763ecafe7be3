import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditReader } from './audit.reader';
import { AuditWriter } from './audit.writer';

/** The audit log: written from Kafka (and by the job runner), read by the tenants and the platform admin. */
@Module({
  controllers: [AuditController],
  providers: [AuditWriter, AuditReader],
  exports: [AuditWriter],
})
export class AuditModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditRecordEntity } from './audit-record.entity';
import { AuditController } from './audit.controller';
import { AuditWriter } from './audit.writer';

@Module({
  imports: [TypeOrmModule.forFeature([AuditRecordEntity])],
  controllers: [AuditController],
  providers: [AuditWriter],
  exports: [AuditWriter],
})
export class AuditModule {}

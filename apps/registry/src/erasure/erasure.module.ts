import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ErasureController } from './erasure.controller';
import { ErasureRequestEntity } from './erasure-request.entity';
import { ErasureService } from './erasure.service';

/** Erasure on request: a data subject's records removed across the audit, the payload log and jobs, and the removal recorded. */
@Module({
  imports: [TypeOrmModule.forFeature([ErasureRequestEntity])],
  controllers: [ErasureController],
  providers: [ErasureService],
})
export class ErasureModule {}

import { Module } from '@nestjs/common';
import { KafkaTokenController } from './kafka-token.controller';
import { KafkaTokenService } from './kafka-token.service';
import { TenantKafkaProvisioner } from './tenant-kafka.provisioner';

/** Tenants on Kafka: their tokens, and their ACLs and reply topics as tenants come and go. */
@Module({
  controllers: [KafkaTokenController],
  providers: [KafkaTokenService, TenantKafkaProvisioner],
  exports: [TenantKafkaProvisioner],
})
export class KafkaAccessModule {}

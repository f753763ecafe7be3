import { DomainError } from '@falaj/contracts';

export class KafkaAccessError extends DomainError {
  static unavailable(): KafkaAccessError {
    return new KafkaAccessError(404, "this deployment's Kafka takes no tokens (a plaintext broker)", 'kafka_tokens_unavailable');
  }
  static platformAccount(): KafkaAccessError {
    return new KafkaAccessError(403, 'Kafka tokens are for tenants: a platform account has no reply namespace', 'kafka_token_not_for_platform');
  }
}

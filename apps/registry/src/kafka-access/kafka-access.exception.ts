import { DomainError } from '@falaj/contracts';

/** What a KafkaAccessError says went wrong: its `code`, in every protocol's error answer. */
export const KAFKA_ACCESS_ERROR_CODES = ['kafka_tokens_unavailable', 'kafka_token_not_for_platform'] as const;
export type KafkaAccessErrorCode = (typeof KAFKA_ACCESS_ERROR_CODES)[number];

export class KafkaAccessError extends DomainError<KafkaAccessErrorCode> {
  static unavailable(): KafkaAccessError {
    return new KafkaAccessError(404, "this deployment's Kafka takes no tokens (a plaintext broker)", 'kafka_tokens_unavailable');
  }
  static platformAccount(): KafkaAccessError {
    return new KafkaAccessError(403, 'Kafka tokens are for tenants: a platform account has no reply namespace', 'kafka_token_not_for_platform');
  }
}

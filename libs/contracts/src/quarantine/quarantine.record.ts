/**
 * Where a consumer sets aside a record it cannot take, so that its partition keeps moving: the
 * consumed topic's name with `.quarantine` (`falaj.audit.v1.quarantine`). A quarantined record
 * keeps the original key and value bytes and headers (credentials dropped); these headers say
 * where it came from and why it was set aside.
 */
export const quarantineTopic = (topic: string): string => `${topic}.quarantine`;

export const QUARANTINE_HEADERS = {
  /** `invalid`: the message did not parse; `rejected`: the handler refused the record (e.g. Postgres SQLSTATE 22021). */
  kind: 'quarantine-kind',
  reason: 'quarantine-reason',
  topic: 'quarantine-topic',
  partition: 'quarantine-partition',
  offset: 'quarantine-offset',
  group: 'quarantine-group',
  /** ISO time it was set aside. */
  at: 'quarantine-at',
} as const;

export type QuarantineKind = 'invalid' | 'rejected';

/** Headers never copied into a quarantine topic: whoever reads it need not be trusted with a credential. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'x-api-key', 'cookie'];

/** Kept 30 days (the audit itself 7): time for an operator to look, fix and replay. */
export const quarantineTopicSpec = (topic: string) => ({
  topic: quarantineTopic(topic),
  numPartitions: 1,
  config: { 'retention.ms': String(30 * 24 * 3600 * 1000) },
});

import type { IHeaders, Message } from 'kafkajs';
import { CREDENTIAL_HEADERS, QUARANTINE_HEADERS, toStorableText, type QuarantineKind } from '@falaj/contracts';

export interface QuarantineOrigin {
  topic: string;
  partition: number;
  offset: string;
  groupId: string;
}

/** A reason kept short enough for a header, whatever the error said. */
const MAX_REASON = 1000;

/**
 * The quarantine copy of a consumed record: its key and value bytes as they were, its headers
 * but for credentials (whatever the case of their names), and where it came from and why.
 */
export function quarantineMessage(
  original: { key: Buffer | null; value: Buffer | null; headers?: IHeaders },
  origin: QuarantineOrigin,
  why: { kind: QuarantineKind; reason: string },
  at: Date = new Date(),
): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(original.headers ?? {})) {
    if (value === undefined || CREDENTIAL_HEADERS.includes(name.toLowerCase())) continue;
    headers[name] = value;
  }
  headers[QUARANTINE_HEADERS.kind] = why.kind;
  headers[QUARANTINE_HEADERS.reason] = toStorableText(why.reason, MAX_REASON);
  headers[QUARANTINE_HEADERS.topic] = origin.topic;
  headers[QUARANTINE_HEADERS.partition] = String(origin.partition);
  headers[QUARANTINE_HEADERS.offset] = origin.offset;
  headers[QUARANTINE_HEADERS.group] = origin.groupId;
  headers[QUARANTINE_HEADERS.at] = at.toISOString();
  return { key: original.key, value: original.value, headers };
}

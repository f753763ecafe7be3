import type { Principal } from '@falaj/auth';
import { auditEventOf, type AuditEvent } from '@falaj/contracts';
import { statusOf, type InferenceFacts, type InferenceOutcome } from './inference-call';

/** Who called and how: what every entry point knows of a call before it runs. */
export interface AuditedCall {
  principal: Principal;
  requestId: string;
  /** As the caller named it. */
  model: string;
  protocol: AuditEvent['protocol'];
}

/** What the caller was answered: 200 and no error, or the status the error carries (500 when it carries none) and its message. */
export interface InferenceAnswer {
  status: number;
  error: string | null;
}

/** The answer an outcome (or an error raised before the pipeline) comes to, as every edge tells it. */
export function answerOf(outcome: InferenceOutcome | Error): InferenceAnswer {
  if (!(outcome instanceof Error) && outcome.ok) return { status: 200, error: null };
  const error = outcome instanceof Error ? outcome : outcome.error;
  return { status: statusOf(error) ?? 500, error: error.message };
}

/**
 * The one audit event of a call, built the same way on every entry point (the gateway's
 * protocols, the Kafka bridge, job rows): who, what was answered, where it was placed (facts:
 * none when it was refused before placement) and how long it took.
 */
export function inferenceAuditEvent(call: AuditedCall, answer: InferenceAnswer, facts: InferenceFacts, latencyMs: number, eventId?: string): AuditEvent {
  return auditEventOf({
    ...(eventId !== undefined ? { eventId } : {}),
    requestId: call.requestId,
    tenantId: call.principal.tenantId,
    subject: call.principal.subject,
    residency: call.principal.residency,
    model: call.model,
    version: facts.version,
    pool: facts.pool,
    placement: facts.placement,
    protocol: call.protocol,
    status: answer.status,
    error: answer.error,
    latencyMs,
  });
}

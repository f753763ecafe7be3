import type { Principal } from '@falaj/auth';
import { DomainError, type DispatchReply, type ModelSignature, type RouteEntry } from '@falaj/contracts';
import type { DecodedInferRequest } from '@falaj/oip';
import type { Placement } from '@falaj/routing';
import type { TraceParent } from '@falaj/tracing';

/** One inference request as the pipeline needs it, whatever protocol or transport brought it. */
export interface InferenceCall {
  principal: Principal;
  requestId: string;
  model: string;
  /** The sticky key of the weighted split; the token's subject when absent. */
  routingKey?: string;
  /** Decodes the protocol's request and checks it against the served version's signature. */
  decode(signature: ModelSignature): DecodedInferRequest;
  /** The edge's span (or the `traceparent` the call came with): the pipeline's spans are its children. */
  trace?: TraceParent;
}

/**
 * What each edge adds to the shared sequence. Created once per edge, not per request. Every
 * step refuses by throwing an error that carries an HTTP-like `status`.
 */
export interface InferenceSteps {
  /** Quotas, after placement: a request that cannot be served takes no token. Returns the release of its slot. */
  admit(tenantId: string, model: string): Promise<() => void>;
  /**
   * Back-pressure: with this step a request no pool can take yet (fallback included) is admitted
   * and decoded, then waits here for a pool to ready the version; `place` places it again on the
   * pools as they are now. Without it, such a request is refused at once with 503.
   */
  awaitReady?(missed: Placement, place: () => Placement): Promise<Placement>;
  /**
   * Just before dispatch, the request decoded (load shedding, the byte budget): may refuse; the
   * returned function gets the dispatch's latency once it is answered or has failed.
   */
  beforeDispatch?(pool: string, route: RouteEntry, request: DecodedInferRequest): (latencyMs: number) => void;
}

/**
 * Where a request got, for its audit event: `version` is the version it was resolved to (the
 * version served, after a fallback), `pool` and `placement` are set once it was placed.
 */
export interface InferenceFacts {
  version: number | null;
  pool: string | null;
  placement: string | null;
}

export type InferenceOutcome =
  | {
      ok: true;
      version: number;
      pool: string;
      /** Why that pool: the placement's one-line explanation. */
      placement: string;
      route: RouteEntry;
      request: DecodedInferRequest;
      reply: Extract<DispatchReply, { ok: true }>;
      /** performance.now() when the request was dispatched (the shadow compares latencies from it). */
      dispatchedAt: number;
    }
  | (InferenceFacts & {
      ok: false;
      /** Carries an HTTP-like `status` when the request was refused or failed as expected; else unexpected. */
      error: Error;
    });

/** The status a failed outcome's error carries (a DomainError's, 400–599); undefined for an unexpected error. */
export function statusOf(error: Error): number | undefined {
  return error instanceof DomainError && error.status >= 400 && error.status < 600 ? error.status : undefined;
}

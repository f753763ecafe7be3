import type { HealthCheckResult } from '@nestjs/terminus';

/**
 * What `/health/ready` (and OIP's `/v2/health/ready`) answer: Terminus' own result (`status`,
 * `info`, `error`, `details`: what its tooling and dashboards read) with the two fields this
 * project's probes, scripts and tests have always read beside it: `ready`, and `checks`, one
 * entry per dependency as `{ ok, ...what it saw, error? }`.
 */
export interface ReadinessReport extends HealthCheckResult {
  ready: boolean;
  checks: Record<string, Record<string, unknown>>;
}

/**
 * Terminus reserves `status` in an indicator's data (it writes up/down there), and the streaming
 * consumer's report has a `status` of its own: it travels as `state` in the indicator data and is
 * given back its own name in `checks`.
 */
export const RENAMED_STATUS = 'state';

export function indicatorData(details: Record<string, unknown> | void | undefined): Record<string, unknown> {
  if (!details || !('status' in details)) return details ?? {};
  const { status, ...rest } = details;
  return { ...rest, [RENAMED_STATUS]: status };
}

/** The report of a Terminus result; `ready` is Terminus' `ok` (an `error` or `shutting_down` is not ready). */
export function readinessReport(result: HealthCheckResult): ReadinessReport {
  const checks: Record<string, Record<string, unknown>> = {};
  for (const [name, detail] of Object.entries(result.details)) {
    const { status, message, [RENAMED_STATUS]: state, ...seen } = detail as Record<string, unknown>;
    checks[name] = {
      ...seen,
      ...(state !== undefined ? { status: state } : {}),
      ok: status === 'up',
      ...(status !== 'up' ? { error: typeof message === 'string' ? message : 'down' } : {}),
    };
  }
  return { ...result, ready: result.status === 'ok', checks };
}

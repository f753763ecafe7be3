import { indicatorData, readinessReport } from './readiness-report.policy';

describe('readinessReport', () => {
  it('is ready when Terminus says ok, and lists every check with ok and what it saw', () => {
    const report = readinessReport({ status: 'ok', info: {}, error: {}, details: { redis: { status: 'up' }, routes: { status: 'up', models: 3 } } });
    expect(report.ready).toBe(true);
    expect(report.checks).toEqual({ redis: { ok: true }, routes: { ok: true, models: 3 } });
  });

  it('is not ready when one check is down, naming why', () => {
    const report = readinessReport({ status: 'error', info: {}, error: {}, details: { redis: { status: 'down', message: 'ping timed out after 2000 ms' }, kafka: { status: 'up', brokers: 1 } } });
    expect(report.ready).toBe(false);
    expect(report.checks.redis).toEqual({ ok: false, error: 'ping timed out after 2000 ms' });
    expect(report.checks.kafka).toEqual({ ok: true, brokers: 1 });
  });

  it('is not ready while shutting down', () => {
    expect(readinessReport({ status: 'shutting_down', details: {} }).ready).toBe(false);
  });

  it("gives a check's own status back its name (Terminus reserves the key)", () => {
    const data = indicatorData({ status: 'running', since: 'x' });
    expect(data).toEqual({ state: 'running', since: 'x' });
    const report = readinessReport({ status: 'ok', details: { streaming: { ...data, status: 'up' } } });
    expect(report.checks.streaming).toEqual({ ok: true, status: 'running', since: 'x' });
  });
});

import { modelsReadiness } from './models.policy';

describe('modelsReadiness', () => {
  const ready = { state: 'ready' };
  it('is ready in its pool, joined, with a loaded version', () => {
    expect(modelsReadiness({ pool: 'cpu.ae', joined: true, models: [ready, { state: 'unloaded' }] })).toEqual({ ready: true, loaded: 1, wanted: 2 });
  });

  it('is not ready outside its pool, saying why', () => {
    expect(modelsReadiness({ pool: null, reason: 'no CUDA device', joined: false, models: [] })).toMatchObject({ ready: false, reason: 'no CUDA device' });
  });

  it('is not ready before it joined its pool (versions still loading)', () => {
    expect(modelsReadiness({ pool: 'cpu.ae', reason: 'loading 1 version(s) before joining the pool', joined: false, models: [{ state: 'loading' }] })).toMatchObject({
      ready: false,
      reason: 'loading 1 version(s) before joining the pool',
    });
  });

  it('is not ready when every version it serves failed or was evicted', () => {
    expect(modelsReadiness({ pool: 'cpu.ae', joined: true, models: [{ state: 'failed' }] })).toMatchObject({ ready: false, reason: 'none of the 1 version(s) it serves is loaded' });
  });

  it('is ready with nothing to serve yet (a new pool: its first rollout must finish)', () => {
    expect(modelsReadiness({ pool: 'cpu.ae', joined: true, models: [] })).toEqual({ ready: true, loaded: 0, wanted: 0 });
  });
});

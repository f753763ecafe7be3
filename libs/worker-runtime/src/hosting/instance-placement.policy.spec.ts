import { firstInstanceInline } from './instance-placement.policy';

describe('firstInstanceInline', () => {
  it('keeps a short run on the JavaScript thread: a hand-off would cost more than the run', () => {
    expect(firstInstanceInline(40, 1000)).toBe(true);
    expect(firstInstanceInline(1000, 1000)).toBe(true);
  });

  it('moves a long run to a worker thread, so the worker keeps reading and replying while it runs', () => {
    expect(firstInstanceInline(1001, 1000)).toBe(false);
    expect(firstInstanceInline(5400, 1000)).toBe(false);
  });

  it('keeps the instance inline when no warm-up ran (nothing measured)', () => {
    expect(firstInstanceInline(undefined, 1000)).toBe(true);
  });

  it('0 puts every instance on a thread whatever it costs', () => {
    expect(firstInstanceInline(1, 0)).toBe(false);
  });
});

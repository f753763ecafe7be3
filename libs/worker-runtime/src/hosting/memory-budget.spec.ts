import { evictionCandidates, fitsBudget } from './memory-budget';

describe('evictionCandidates', () => {
  const slot = (lastUsed: number, loaded = true) => ({ lastUsed, hosted: loaded ? {} : undefined });

  it('offers the loaded versions least recently used first', () => {
    const slots: [string, ReturnType<typeof slot>][] = [
      ['a', slot(30)],
      ['b', slot(10)],
      ['c', slot(20)],
    ];
    expect(evictionCandidates(slots, 'new').map(([key]) => key)).toEqual(['b', 'c', 'a']);
  });

  it('never offers the version being loaded, nor one that holds no sessions', () => {
    const slots: [string, ReturnType<typeof slot>][] = [
      ['loading', slot(1)],
      ['evicted', slot(2, false)],
      ['ready', slot(3)],
    ];
    expect(evictionCandidates(slots, 'loading').map(([key]) => key)).toEqual(['ready']);
  });

  it('offers nothing when nothing else is loaded', () => {
    expect(evictionCandidates([['only', slot(5)]], 'only')).toEqual([]);
  });
});

describe('fitsBudget', () => {
  it('fits up to the budget exactly, and not a byte over', () => {
    expect(fitsBudget(60, 40, 100)).toBe(true);
    expect(fitsBudget(61, 40, 100)).toBe(false);
  });

  it('reads a budget of 0 as no limit', () => {
    expect(fitsBudget(10 ** 12, 10 ** 12, 0)).toBe(true);
  });

  it('refuses a version larger than the whole budget even on an empty worker', () => {
    expect(fitsBudget(0, 101, 100)).toBe(false);
  });
});

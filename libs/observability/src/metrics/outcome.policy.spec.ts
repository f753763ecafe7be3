import { isRejection, outcomeOf, partitionLag } from './outcome.policy';

describe('outcomeOf', () => {
  it.each([
    [200, 'success'],
    [400, 'client_error'],
    [404, 'client_error'],
    [429, 'rejected'],
    [503, 'rejected'],
    [504, 'timeout'],
    [500, 'server_error'],
    [502, 'server_error'],
  ])('%i is %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });

  it('counts 429 and 503 as rejections, nothing else', () => {
    expect([200, 400, 429, 500, 503, 504].filter(isRejection)).toEqual([429, 503]);
  });
});

describe('partitionLag', () => {
  it('is the end offset less the committed one', () => {
    expect(partitionLag('40', '0', '100')).toBe(60);
  });

  it('counts from the log start when nothing is committed (-1) or the commit was deleted by retention', () => {
    expect(partitionLag('-1', '10', '25')).toBe(15);
    expect(partitionLag('3', '10', '25')).toBe(15);
  });

  it('is never negative', () => {
    expect(partitionLag('30', '0', '25')).toBe(0);
  });
});

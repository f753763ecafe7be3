import { streamIdMs } from './pool-stream.server';

describe('streamIdMs', () => {
  it('reads the milliseconds of a Redis stream id', () => {
    expect(streamIdMs(Buffer.from('1764680000123-7'))).toBe(1764680000123);
  });

  it('stops at the dash (the sequence is not time)', () => {
    expect(streamIdMs(Buffer.from('42-99999'))).toBe(42);
  });
});

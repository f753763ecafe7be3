import { parsePoolName, poolName } from './pool';

describe('parsePoolName', () => {
  it('reads the hardware and region of a pool name', () => {
    expect(parsePoolName('cpu.ae')).toEqual({ hardware: 'cpu', region: 'ae' });
    expect(parsePoolName(poolName('gpu', 'eu-west'))).toEqual({ hardware: 'gpu', region: 'eu-west' });
  });

  it('refuses anything else', () => {
    for (const name of ['cpu', 'cpu.', '.ae', 'tpu.ae', 'cpu.ae.x', '']) expect(parsePoolName(name)).toBeNull();
  });
});

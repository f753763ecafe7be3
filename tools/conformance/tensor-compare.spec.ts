import type { TensorPayload } from '@falaj/contracts';
import { compareTensors } from './tensor-compare';

const f32 = (...values: number[]): TensorPayload => ({ name: 't', datatype: 'FP32', shape: [values.length], data: Buffer.from(Float32Array.of(...values).buffer) });

describe(compareTensors.name, () => {
  it('accepts differences within atol + rtol·|expected|, as numpy assert_allclose does', () => {
    expect(compareTensors(f32(1000, 0), f32(1000.9, 5e-8))).toBeNull();
    expect(compareTensors(f32(1000), f32(1001.5))).toMatch(/element 0 is 1001.5, expected 1000/);
    expect(compareTensors(f32(0), f32(2e-7))).toMatch(/element 0/);
  });

  it('treats NaN as equal to NaN and infinities as equal to themselves only', () => {
    expect(compareTensors(f32(NaN, Infinity), f32(NaN, Infinity))).toBeNull();
    expect(compareTensors(f32(Infinity), f32(-Infinity))).toMatch(/element 0/);
    expect(compareTensors(f32(1), f32(NaN))).toMatch(/element 0/);
  });

  it('requires the same datatype, shape and exact strings and 64-bit integers', () => {
    expect(compareTensors(f32(1, 2), { ...f32(1, 2), shape: [1, 2] })).toMatch(/shape \[1,2\], expected \[2\]/);
    expect(compareTensors(f32(1), { ...f32(1), datatype: 'INT32' })).toMatch(/datatype INT32, expected FP32/);
    const big = (v: bigint): TensorPayload => ({ name: 'i', datatype: 'INT64', shape: [1], data: Buffer.from(BigInt64Array.of(v).buffer) });
    expect(compareTensors(big(2n ** 62n), big(2n ** 62n + 1n))).toMatch(/element 0/);
    const text = (s: string): TensorPayload => ({ name: 's', datatype: 'BYTES', shape: [1], data: Buffer.concat([Buffer.from(Uint32Array.of(s.length).buffer), Buffer.from(s)]) });
    expect(compareTensors(text('ab'), text('ab'))).toBeNull();
    expect(compareTensors(text('ab'), text('ac'))).toMatch(/element 0 is ac, expected ab/);
  });
});

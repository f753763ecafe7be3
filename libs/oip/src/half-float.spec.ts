import { fromHalfBits, toHalfBits } from './half-float';

describe(toHalfBits.name, () => {
  it('encodes exact values to their binary16 bits', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0.5)).toBe(0x3800);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(2 ** -14)).toBe(0x0400);
  });

  it('keeps the sign of zero', () => {
    expect(toHalfBits(0)).toBe(0x0000);
    expect(toHalfBits(-0)).toBe(0x8000);
  });

  it('rounds halfway cases to the even mantissa', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // between 0x3c00 and 0x3c01: even is 0x3c00
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // between 0x3c01 and 0x3c02: even is 0x3c02
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01); // just past halfway rounds up
  });

  it('rounds straight from the double, not through float32 (no double rounding)', () => {
    // float32 would round this to exactly 1 + 2^-11, a tie that then goes down to 0x3c00.
    expect(Math.fround(1 + 2 ** -11 + 2 ** -40)).toBe(1 + 2 ** -11);
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
  });

  it('encodes subnormals, rounding ties to even', () => {
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(-(2 ** -24))).toBe(0x8001);
    expect(toHalfBits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even is 0
    expect(toHalfBits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 units: even is 2
    expect(toHalfBits(2 ** -25 + 2 ** -40)).toBe(0x0001);
    expect(toHalfBits(1023 * 2 ** -24)).toBe(0x03ff);
    expect(toHalfBits(1023.5 * 2 ** -24)).toBe(0x0400); // rounds up into the smallest normal
    expect(toHalfBits(1e-10)).toBe(0x0000);
  });

  it('overflows to infinity from 65520 (the tie past 65504) and keeps smaller values finite', () => {
    expect(toHalfBits(65519.99)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00);
    expect(toHalfBits(-1e6)).toBe(0xfc00);
    expect(toHalfBits(Infinity)).toBe(0x7c00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
  });

  it('encodes NaN as the quiet NaN 0x7e00', () => {
    expect(toHalfBits(Number.NaN)).toBe(0x7e00);
  });

  it('picks the nearest half (ties to even) for random doubles across the whole range', () => {
    let state = 12345; // a fixed LCG, so a failure reproduces
    const random = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const wrong: number[] = [];
    for (let n = 0; n < 50_000; n++) {
      const value = (random() < 0.5 ? -1 : 1) * 2 ** (random() * 42 - 26) * (1 + random());
      if (Math.abs(value) >= 65520) continue;
      const bits = toHalfBits(value);
      const distance = Math.abs(value - fromHalfBits(bits));
      for (const neighbour of [bits - 1, bits + 1]) {
        if ((neighbour & 0x7fff) >= 0x7c00 || neighbour < 0 || (neighbour & 0x8000) !== (bits & 0x8000)) continue;
        const other = Math.abs(value - fromHalfBits(neighbour));
        if (other < distance || (other === distance && (bits & 1) === 1)) wrong.push(value);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('inverts fromHalfBits for every non-NaN bit pattern', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
      if (!isNaN && toHalfBits(fromHalfBits(bits)) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });
});

describe(fromHalfBits.name, () => {
  it('decodes normals, subnormals, zeros, infinities and NaN', () => {
    expect(fromHalfBits(0x3c00)).toBe(1);
    expect(fromHalfBits(0x3555)).toBe(0.333251953125);
    expect(fromHalfBits(0x7bff)).toBe(65504);
    expect(fromHalfBits(0x0001)).toBe(2 ** -24);
    expect(fromHalfBits(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(fromHalfBits(0x8000), -0)).toBe(true);
    expect(fromHalfBits(0x7c00)).toBe(Infinity);
    expect(fromHalfBits(0xfc00)).toBe(-Infinity);
    expect(fromHalfBits(0x7e00)).toBeNaN();
    expect(fromHalfBits(0xfc01)).toBeNaN();
  });
});

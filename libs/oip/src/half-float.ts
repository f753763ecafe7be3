const TWO_POW_24 = 2 ** 24;
const MIN_NORMAL = 2 ** -14;
/** Halfway between the largest half (65504) and 2^16: from here on, round-to-even gives infinity. */
const OVERFLOW_THRESHOLD = 65520;

/**
 * The IEEE 754 binary16 bits nearest to a JS number, rounding half to even. It rounds straight
 * from the double: going through Math.fround first would round twice and get some halfway
 * cases wrong. Subnormals, ±0, ±infinity and NaN (as the quiet 0x7e00) are all handled.
 */
export function toHalfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= OVERFLOW_THRESHOLD) return sign | 0x7c00;
  if (magnitude < MIN_NORMAL) {
    // Subnormal: a multiple of 2^-24. Scaling by a power of two is exact; 1024 carries into
    // the smallest normal, whose bit pattern is exactly 0x0400.
    return sign | roundHalfToEven(magnitude * TWO_POW_24);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 can be off by one next to powers of two; correct it exactly.
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfToEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  const biased = exponent + 15;
  if (biased >= 31) return sign | 0x7c00;
  return sign | (biased << 10) | mantissa;
}

/** The number a binary16 bit pattern holds (exact: every half is a double). */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** x is non-negative and below 2^11 here, so floor and the subtraction are exact. */
function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

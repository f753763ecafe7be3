/**
 * NumPy's .npy format (format versions 1.0, 2.0 and 3.0): the magic, a header that is a
 * Python dict literal, then the array's bytes. Only the header needs parsing: a C-order
 * little-endian array's bytes are already Triton's binary tensor data, so they are sent as
 * they are (no copy into JS numbers, no loss of INT64 or FP16).
 */
export interface NpyArray {
  /** The OIP datatype (FP32, INT64, BOOL, …). */
  datatype: string;
  shape: number[];
  /** The array's bytes, row-major, little-endian. */
  data: Buffer;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** numpy `descr` (without its byte-order mark) → OIP datatype and the bytes of one element. */
const DATATYPES: Record<string, [string, number]> = {
  b1: ['BOOL', 1],
  u1: ['UINT8', 1],
  u2: ['UINT16', 2],
  u4: ['UINT32', 4],
  u8: ['UINT64', 8],
  i1: ['INT8', 1],
  i2: ['INT16', 2],
  i4: ['INT32', 4],
  i8: ['INT64', 8],
  f2: ['FP16', 2],
  f4: ['FP32', 4],
  f8: ['FP64', 8],
};

export class NpyError extends Error {}

export function parseNpy(file: Buffer): NpyArray {
  if (file.length < 10 || !file.subarray(0, 6).equals(MAGIC)) throw new NpyError('not a .npy file (no \\x93NUMPY magic)');
  const major = file[6];
  if (major < 1 || major > 3) throw new NpyError(`.npy format version ${major}.${file[7]} is not known (1.0, 2.0 and 3.0 are)`);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? file.readUInt16LE(8) : file.readUInt32LE(8);
  const start = 8 + lengthBytes;
  if (file.length < start + headerLength) throw new NpyError('.npy header is cut short');
  const header = file.subarray(start, start + headerLength).toString(major === 3 ? 'utf8' : 'latin1');

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`.npy header lacks descr, fortran_order or shape: ${header.trim()}`);
  if (fortran === 'True') throw new NpyError('the array is in Fortran order; save it with np.save(f, np.ascontiguousarray(x))');

  const order = descr[0];
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const known = DATATYPES[code];
  if (!known) throw new NpyError(`.npy dtype '${descr}' has no OIP datatype (bool, int8…64, uint8…64, float16/32/64 do)`);
  const [datatype, itemSize] = known;
  if (order === '>' && itemSize > 1) throw new NpyError(`the array is big-endian ('${descr}'); save it little-endian, e.g. x.astype('<${code}')`);

  const dims = shapeText
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (!dims.every((d) => /^\d+L?$/.test(d))) throw new NpyError(`.npy shape (${shapeText}) is not a tuple of sizes`);
  const shape = dims.map((d) => Number.parseInt(d, 10));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = file.subarray(start + headerLength);
  if (data.length !== count * itemSize) {
    throw new NpyError(`.npy data is ${data.length} bytes, but shape [${shape.join(',')}] of ${descr} needs ${count * itemSize}`);
  }
  return { datatype, shape, data };
}

import { NpyError, parseNpy } from './npy';

/** A .npy file as np.save writes it: magic, version, header length, the dict padded to 64 bytes with a newline. */
function npy(dict: string, data: Buffer, version: 1 | 2 = 1): Buffer {
  const prefix = version === 1 ? 10 : 12;
  const padded = dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(padded.length, 8);
  else head.writeUInt32LE(padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), data]);
}

describe('parseNpy', () => {
  it('reads a float32 matrix and hands back its bytes untouched', () => {
    const bytes = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const array = parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytes));
    expect(array).toEqual({ datatype: 'FP32', shape: [2, 3], data: bytes });
    expect(Array.from(new Float32Array(array.data.buffer.slice(array.data.byteOffset, array.data.byteOffset + array.data.length)))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('maps every numeric dtype to its OIP datatype, including one-element and scalar shapes', () => {
    const cases: [string, string, number][] = [
      ['|b1', 'BOOL', 1],
      ['|u1', 'UINT8', 1],
      ['<u2', 'UINT16', 2],
      ['<u4', 'UINT32', 4],
      ['<u8', 'UINT64', 8],
      ['|i1', 'INT8', 1],
      ['<i2', 'INT16', 2],
      ['<i4', 'INT32', 4],
      ['<i8', 'INT64', 8],
      ['<f2', 'FP16', 2],
      ['<f8', 'FP64', 8],
    ];
    for (const [descr, datatype, size] of cases) {
      expect(parseNpy(npy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (3,), }`, Buffer.alloc(3 * size)))).toMatchObject({ datatype, shape: [3] });
    }
    expect(parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", Buffer.alloc(4))).shape).toEqual([]);
  });

  it('reads format version 2.0 (a 4-byte header length)', () => {
    expect(parseNpy(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", Buffer.alloc(16), 2))).toMatchObject({ datatype: 'INT64', shape: [1, 2] });
  });

  it('refuses what it cannot send as it is, saying how to save it instead', () => {
    const f4 =
      (dict: string, data = Buffer.alloc(8)) =>
      () =>
        parseNpy(npy(dict, data));
    expect(f4("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }")).toThrow(/ascontiguousarray/);
    expect(f4("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }")).toThrow(/big-endian.*astype\('<f4'\)/);
    expect(f4("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }")).toThrow(/no OIP datatype/);
    expect(f4("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }")).toThrow(/8 bytes, but shape \[3\] of <f4 needs 12/);
    expect(f4("{'descr': '<f4', 'fortran_order': False }")).toThrow(NpyError);
    expect(() => parseNpy(Buffer.from('PK\u0003\u0004 a zip, not an array'))).toThrow(/magic/);
  });
});

/**
 * BYTES tensors in Triton's binary layout: each element is a 4-byte little-endian length, then
 * that many bytes. JSON and ORT string tensors both carry elements as JS strings (UTF-8).
 */
export function encodeBytesElements(strings: readonly string[]): Buffer {
  let total = 4 * strings.length;
  for (const s of strings) total += Buffer.byteLength(s, 'utf8');
  const data = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const s of strings) {
    const length = data.write(s, offset + 4, 'utf8');
    data.writeUInt32LE(length, offset);
    offset += 4 + length;
  }
  return data;
}

/** Splits BYTES data into its elements; throws a RangeError (naming the tensor) if the framing is broken. */
export function decodeBytesElements(data: Buffer, count: number, name: string): string[] {
  const strings = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > data.length) throw new RangeError(`tensor '${name}': BYTES data ends inside element ${i}'s length`);
    const length = data.readUInt32LE(offset);
    offset += 4;
    if (offset + length > data.length) throw new RangeError(`tensor '${name}': BYTES element ${i} runs past the data`);
    strings[i] = data.toString('utf8', offset, offset + length);
    offset += length;
  }
  if (offset !== data.length) {
    throw new RangeError(`tensor '${name}': ${data.length - offset} bytes left over after ${count} BYTES elements`);
  }
  return strings;
}

/** The limits of the admission cases below. */
export const POOL_STREAM_ADMISSION_LIMITS = { maxEntries: 3, maxBytes: 1000 };

/** [entries held, bytes held, entry bytes, refused by]: the table the Lua script is held to as well. */
export const POOL_STREAM_ADMISSION_CASES: [number, number, number, 'entries' | 'bytes' | null][] = [
  [0, 0, 10, null],
  [2, 900, 100, null],
  [2, 900, 101, 'bytes'],
  [3, 0, 5, 'entries'],
  [4, 10, 5, 'entries'],
  [0, 0, 5000, null],
  [1, 10, 5000, 'bytes'],
  [3, 5000, 5000, 'entries'],
];

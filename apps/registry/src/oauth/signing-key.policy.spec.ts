import { publishedKeysOf, rotationDue, signingKeyOf } from './signing-key.policy';

const at = (ms: number) => new Date(ms);

describe('signingKeyOf', () => {
  it('is the newest active key; a key not yet active does not sign', () => {
    const keys = [
      { kid: 'a', activatesAt: at(0) },
      { kid: 'b', activatesAt: at(100) },
      { kid: 'c', activatesAt: at(200) },
    ];
    expect(signingKeyOf(keys, 150)?.kid).toBe('b');
    expect(signingKeyOf(keys, 250)?.kid).toBe('c');
    expect(signingKeyOf([], 0)).toBeUndefined();
  });
});

describe('publishedKeysOf', () => {
  const keys = [
    { kid: 'a', activatesAt: at(0) },
    { kid: 'b', activatesAt: at(1000) },
    { kid: 'c', activatesAt: at(5000) },
  ];

  it('publishes the next key before it signs, and a retired key for the overlap after', () => {
    expect(publishedKeysOf(keys, 500, 300).map((k) => k.kid)).toEqual(['a', 'b', 'c']);
    expect(publishedKeysOf(keys, 1200, 300).map((k) => k.kid)).toEqual(['a', 'b', 'c']);
    expect(publishedKeysOf(keys, 1400, 300).map((k) => k.kid)).toEqual(['b', 'c']);
    expect(publishedKeysOf(keys, 6000, 300).map((k) => k.kid)).toEqual(['c']);
  });
});

describe('rotationDue', () => {
  it('is due with no key, or when the newest key is older than the period', () => {
    expect(rotationDue([], 0, 10)).toBe(true);
    expect(rotationDue([{ kid: 'a', activatesAt: at(0) }], 5, 10)).toBe(false);
    expect(rotationDue([{ kid: 'a', activatesAt: at(0) }], 10, 10)).toBe(true);
  });
});

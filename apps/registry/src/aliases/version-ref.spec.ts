import { VersionRefSchema, describeRef } from './version-ref';

describe('VersionRefSchema', () => {
  it('reads a number, in a URL or JSON, as a version', () => {
    expect(VersionRefSchema.parse('7')).toEqual({ version: 7 });
    expect(VersionRefSchema.parse(7)).toEqual({ version: 7 });
  });

  it('reads a name as an alias', () => {
    expect(VersionRefSchema.parse('champion')).toEqual({ alias: 'champion' });
  });

  it.each(['0', '-1', 'Champion', '1.5', '', 'a b', 'x'.repeat(65)])('refuses %j', (value) => {
    expect(VersionRefSchema.safeParse(value).success).toBe(false);
  });

  it('describes a ref for messages', () => {
    expect(describeRef({ alias: 'champion' })).toBe("alias 'champion'");
    expect(describeRef({ version: 2 })).toBe('version 2');
  });
});

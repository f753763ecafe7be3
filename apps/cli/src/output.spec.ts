import { duration, preview, renderJson, renderTable, short } from './output';

describe('renderTable', () => {
  it('draws a plain table, with a dash for what is missing', () => {
    const text = renderTable(
      ['model', 'version', 'stage'],
      [
        ['scorer', 1, 'production'],
        ['ranker', null, undefined],
      ],
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(5); // top, head, rule, two rows… and the bottom (compact: no rules between rows)
    expect(lines[1]).toMatch(/│ model\s+│ version │ stage\s+│/);
    expect(text).toContain('│ scorer │ 1       │ production │');
    expect(text).toContain('│ ranker │ -       │ -          │');
    expect(text).not.toMatch(/\x1b\[/); // no colour codes in a log
  });
});

describe('renderJson', () => {
  it('is the value itself, indented, with one trailing newline', () => {
    expect(renderJson({ a: [1, 2] })).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    expect(JSON.parse(renderJson({ state: 'completed' }))).toEqual({ state: 'completed' });
  });
});

describe('short, preview, duration', () => {
  it('cut numbers, tensors and seconds to what a person reads', () => {
    expect(short(2.90812)).toBe('2.908');
    expect(short(null)).toBe('-');
    expect(preview([[0.016912, 0.95763, 0.025432]])).toBe('[0.0169, 0.9576, 0.0254]');
    expect(
      preview(
        Array.from({ length: 10 }, (_, i) => i),
        3,
      ),
    ).toBe('[0, 1, 2, … 7 more]');
    expect([duration(42), duration(185), duration(3720), duration(null)]).toEqual(['42 s', '3 m 05 s', '1 h 02 m', '-']);
  });
});

import { parseRegionStores } from './region-stores.config';

describe('parseRegionStores', () => {
  it('is undefined when unset or blank: every region stays in the catalog', () => {
    expect(parseRegionStores(undefined)).toEqual({ stores: undefined, problems: [] });
    expect(parseRegionStores('  ')).toEqual({ stores: undefined, problems: [] });
  });

  it('maps each region to its URL, or to the catalog by name', () => {
    const { stores, problems } = parseRegionStores('ae=postgres://falaj_registry@pg-ae:5432/falaj_audit, eu=catalog');
    expect(problems).toEqual([]);
    expect([...stores!.entries()]).toEqual([
      ['ae', { kind: 'url', url: 'postgres://falaj_registry@pg-ae:5432/falaj_audit' }],
      ['eu', { kind: 'catalog' }],
    ]);
  });

  it.each([
    ['ae', /not region=url/],
    ['AE=catalog', /not a region label/],
    ['ae=catalog,ae=catalog', /given twice/],
    ['ae=nonsense', /not a URL/],
    ['ae=mysql://h/db', /not postgres/],
    ['ae=postgres://u:secret@h/db', /password/],
    ['ae=postgres://u@h/db?sslmode=disable', /parameters/],
    ['ae=postgres://u@h/', /not a database name/],
    ['ae=postgres://a@h:5432/db,eu=postgres://b@h/db', /"ae" and "eu" share one database/],
    [',', /names no region/],
  ])('refuses %s', (raw, problem) => {
    expect(parseRegionStores(raw).problems.join('\n')).toMatch(problem);
  });

  it('names every problem at once', () => {
    expect(parseRegionStores('AE=catalog,eu=nonsense').problems).toHaveLength(2);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

const SRC = __dirname;
const ROOT = resolve(SRC, '../../..');
const CATALOG = join(SRC, 'catalog');

/** Assembles the DataSource, so it must name every module's entities. */
const COMPOSITION_ROOT = 'database/data-source.options.ts';

/** The tenants' table, which only the tenants' code names in SQL (specs insert their tenants). */
const TENANTS_TABLE = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+"?tenants\b/;

/** The catalog's tables, which only the catalog's code may name in SQL. */
const CATALOG_TABLES = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+"?(?:models|model_versions|model_aliases|stage_transitions|deployments|deployment_revisions)\b/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, resolved to a path without extension. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name));
}

/** The module (top folder under apps/registry/src) a path belongs to; '' for the app's own root files. */
const moduleOf = (path: string): string => {
  const rel = relative(SRC, path).split(sep);
  return rel.length > 1 ? rel[0] : '';
};
const isEntity = (path: string): boolean => path.endsWith('.entity') || path.endsWith('.entity.ts');
const asFile = (path: string): string => (path.endsWith('.ts') ? path : `${path}.ts`);
const insideCatalog = (path: string): boolean => path === CATALOG || path.startsWith(CATALOG + sep);

describe('registry module boundaries', () => {
  const appFiles = tsFiles(SRC);
  const testFiles = tsFiles(join(ROOT, 'test'));

  it("lets no file outside the catalog import a catalog entity (the catalog's index exports them as types only)", () => {
    const offenders = [...appFiles, ...testFiles]
      .filter((file) => !insideCatalog(file))
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => insideCatalog(target) && isEntity(target))
          .map((target) => `${relative(ROOT, file)} -> ${relative(ROOT, target)}`),
      );
    expect(offenders).toEqual([]);
  });

  it("lets no module import another module's entity, beyond the DataSource (each reads and changes another's rows through its exported service)", () => {
    const crossing = appFiles
      .filter((file) => relative(SRC, file) !== COMPOSITION_ROOT)
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => isEntity(target) && target.startsWith(SRC + sep) && moduleOf(target) !== moduleOf(file))
          .map((target) => `${relative(SRC, file)} -> ${relative(SRC, asFile(target))}`),
      );
    expect([...new Set(crossing)].sort()).toEqual([]);
  });

  it("names the catalog's tables in SQL only inside the catalog (and in migrations and schema specs)", () => {
    const offenders = appFiles
      .filter((file) => !insideCatalog(file) && moduleOf(file) !== 'database' && !file.endsWith('module-boundaries.spec.ts'))
      .filter((file) => CATALOG_TABLES.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });

  it("names the tenants' table in SQL only inside the tenants (and in migrations and specs)", () => {
    const offenders = appFiles
      .filter((file) => !['tenants', 'database'].includes(moduleOf(file)) && !/\.(?:integration-)?spec\.ts$/.test(file))
      .filter((file) => TENANTS_TABLE.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });

  it("sees the imports it judges (a catalog entity imported from a module, another module's entity)", () => {
    // Guards the scan itself: were importsOf to find nothing, every check above would pass.
    const catalogImports = importsOf(join(CATALOG, 'model-version.entity.ts'));
    expect(catalogImports).toContain(join(CATALOG, 'model.entity'));
    const rolloutImports = importsOf(join(SRC, 'rollouts', 'rollouts.service.ts'));
    expect(rolloutImports).toContain(CATALOG);
    // And another module's entity: the DataSource, the one file allowed to, imports the tenants'.
    expect(importsOf(join(SRC, COMPOSITION_ROOT))).toContain(join(SRC, 'tenants', 'tenant.entity'));
  });
});

import type * as NodePgMigrateModule from 'node-pg-migrate/dist/bundle/index';

/** node-pg-migrate's programmatic API (its types; the package ships only ES modules). */
export type NodePgMigrate = typeof NodePgMigrateModule;

/**
 * A real `import()`. node-pg-migrate 9 is an ES module only, and this project compiles to
 * CommonJS, where TypeScript would turn `import()` into `require()`: Node 20 can require
 * an ES module, but jest's module system cannot (it loads ES modules only through
 * `import()` with --experimental-vm-modules, which scripts/run-tests.js sets). Written
 * in a Function body, the import stays an import in both.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let loading: Promise<NodePgMigrate> | undefined;

export function loadNodePgMigrate(): Promise<NodePgMigrate> {
  loading ??= (importModule('node-pg-migrate') as Promise<NodePgMigrate>).catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findEnvReads, type SourceEnvReads } from '../support/source-env-reads';

/**
 * The scan test/unit/compose.test.ts relies on, over a small program written for it:
 * every way of reading the environment the source uses, and the look-alikes that are not
 * reads or do not run.
 */

const FILES: Record<string, string> = {
  'src/entry.ts': `
    import { helper } from './helper';
    import type { OnlyType } from './types-only';
    import { type AlsoOnlyType } from './types-only-too';
    import { CATALOGUE } from './constants';
    import '../outside/side-effect';
    export * from './reexported';

    export function run(env: NodeJS.ProcessEnv = process.env, options: { env?: NodeJS.ProcessEnv } = {}): OnlyType | AlsoOnlyType {
      const direct = process.env.DIRECT_READ;
      const bracket = env['BRACKET_READ'];
      const byConstant = process.env[CATALOGUE];
      const optional = options.env?.OPTIONAL_CHAIN_READ;
      const { DESTRUCTURED_READ, RENAMED_READ: renamed } = process.env;
      process.env.ASSIGNED_NOT_READ = 'set, not read';
      const flag = 'x';
      const dynamic = env[\`DYNAMIC_\${flag.toUpperCase()}\`];
      const lookAlike = { env: { NOT_PROCESS_ENV: 1 } }.env.NOT_PROCESS_ENV;
      const handedOn = { ...process.env };
      return [direct, bracket, byConstant, optional, DESTRUCTURED_READ, renamed, dynamic, lookAlike, handedOn, helper()];
    }
  `,
  'src/helper.ts': `
    import path from 'node:path';
    require('./required');
    export const helper = () => path.join(process.env.HELPER_READ ?? '', '.');
  `,
  'src/required.ts': `export const required = process.env.REQUIRED_READ;`,
  'src/reexported.ts': `export const reexported = process.env.REEXPORTED_READ;`,
  'src/constants.ts': `export const CATALOGUE = 'CONSTANT_KEY_READ';`,
  'src/types-only.ts': `export type OnlyType = unknown; export const notRun = process.env.TYPE_ONLY_IMPORT;`,
  'src/types-only-too.ts': `export type AlsoOnlyType = unknown; export const notRun = process.env.TYPE_ONLY_SPECIFIER;`,
  'src/unreached.ts': `export const unreached = process.env.UNREACHED;`,
  'outside/side-effect.ts': `export const outside = process.env.OUTSIDE_WITHIN;`,
};

let root: string;
let scan: SourceEnvReads;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-env-scan-'));
  // Node's types come from this repository: the scan knows the environment by its type.
  const typeRoots = [path.resolve(__dirname, '..', '..', 'node_modules', '@types')];
  await writeFile(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node', types: ['node'], typeRoots } }),
  );
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  scan = findEnvReads({ root, entries: ['src/entry.ts'], within: 'src' });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('finds reads by property, by literal and constant key, with ?., by destructuring, through imports, re-exports and require', () => {
  expect(scan.reads.map((read) => read.name).sort()).toEqual(
    [
      'BRACKET_READ',
      'CONSTANT_KEY_READ',
      'DESTRUCTURED_READ',
      'DIRECT_READ',
      'HELPER_READ',
      'OPTIONAL_CHAIN_READ',
      'REEXPORTED_READ',
      'RENAMED_READ',
      'REQUIRED_READ',
    ].sort(),
  );
  expect(scan.reads.find((read) => read.name === 'DIRECT_READ')).toEqual({ name: 'DIRECT_READ', file: 'src/entry.ts', line: 10 });
});

test('follows only what runs, within the folder: not type-only imports, not files outside it', () => {
  expect(scan.files).toEqual(['src/constants.ts', 'src/entry.ts', 'src/helper.ts', 'src/reexported.ts', 'src/required.ts']);
  expect(scan.packages).toEqual(['node:path']);
});

test('reports a read whose key it cannot name instead of guessing', () => {
  expect(scan.dynamic).toEqual([{ file: 'src/entry.ts', line: 17, text: 'env[`DYNAMIC_${flag.toUpperCase()}`]' }]);
});

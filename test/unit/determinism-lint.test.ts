import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Workflow and policy code stays deterministic because lint refuses what would break
 * replay: Node builtins, providers and activity implementations, timers and randomness.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** Lints `code` as if it were `file`, with the project's own ESLint and config (as `npm test` does). */
async function ruleHits(file: string, code: string): Promise<string[]> {
  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'eslint'), ['--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the determinism lint rules', () => {
  test.each([
    ['src/workflows/probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n", /no-restricted-imports.*no Node builtins/],
    ['src/workflows/probe.ts', "import { spawn } from 'child_process';\nexport const x = spawn;\n", /no-restricted-imports.*no Node builtins/],
    ['src/workflows/probe.ts', "import { createActivities } from '../activities';\nexport const x = createActivities;\n", /no-restricted-imports.*only through activities/],
    ['src/policy/probe.ts', "import { LocalProcessRuntime } from '../providers/runtime/local-process-runtime';\nexport const x = LocalProcessRuntime;\n", /no-restricted-imports/],
    ['src/workflows/probe.ts', 'export const x = Math.random();\n', /no-restricted-properties.*Math\.random/],
    ['src/workflows/probe.ts', 'export const x = () => setTimeout(() => undefined, 1);\n', /no-restricted-globals.*sleep\(\)/],
    ['src/policy/probe.ts', "import pino from 'pino';\nexport const x = pino;\n", /no-restricted-imports/],
  ])('%s refuses %j', async (file, code, expected) => {
    expect(await ruleHits(file, code)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  test('type-only imports of activities and the same code outside workflows are allowed', async () => {
    expect(await ruleHits('src/workflows/probe.ts', "import type { GantryActivities } from '../activities';\nexport type X = GantryActivities;\n")).toEqual([]);
    expect(await ruleHits('src/activities/probe.ts', "import fs from 'node:fs';\nexport const x = [fs, Math.random()];\n")).toEqual([]);
  });
});

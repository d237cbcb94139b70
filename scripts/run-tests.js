#!/usr/bin/env node
'use strict';
// `npm test`: lint, type-check, then every jest suite; ends with one summary line
// "N passed, N failed" read from jest's JSON result so an empty run is visible.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args, env = process.env) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

for (const [label, cmd, args] of [
  ['lint', bin('eslint'), ['.']],
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
]) {
  process.stdout.write(`\n== ${label}\n`);
  if (run(cmd, args) !== 0) {
    process.stdout.write(`${label} failed\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-jest-')), 'result.json');
process.stdout.write('\n== jest\n');
// PGlite (the embedded audit store) loads Node builtins with import(), which jest's module sandbox serves only with this flag.
const jestEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() };
const code = run(bin('jest'), ['--json', `--outputFile=${resultFile}`, ...process.argv.slice(2)], jestEnv);
let passed = 0;
let failed = 0;
try {
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numRuntimeErrorTestSuites || 0);
} catch {
  failed = 1;
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(code !== 0 || failed > 0 || passed === 0 ? 1 : 0);

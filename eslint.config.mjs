import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**/dist/**', '.gantry/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Determinism by tool, not habit: workflow and policy code may not reach the
    // clock, disk, network or providers except through Temporal.
    files: ['src/workflows/**/*.ts', 'src/policy/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((name) => [
              { name, message: 'Workflow and policy code must stay deterministic: no Node builtins.' },
              { name: `node:${name}`, message: 'Workflow and policy code must stay deterministic: no Node builtins.' },
            ]),
            { name: 'pino', message: 'Log with `log` from @temporalio/workflow.' },
          ],
          patterns: [
            {
              group: ['**/activities', '**/activities/*', '**/providers/**', '**/worker/**', '**/cli/**', '@temporalio/client', '@temporalio/worker'],
              allowTypeImports: true,
              message: 'Workflows reach side effects only through activities (import type is fine).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
        { name: 'fetch', message: 'Network calls belong in activities.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Math.random is replaced by Temporal in workflows but forbidden in policy: pass randomness in.' },
      ],
    },
  },
);

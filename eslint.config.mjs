import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Every builtin module of the Node running lint, in both spellings (`fs`, `node:fs`), so
 * a module Node adds is refused without anyone listing it. `_http_agent` and the like
 * are Node's internals; a module that exists only with the prefix (`node:test`) keeps
 * just that spelling, since `test` alone is a package name.
 */
const NODE_BUILTINS = builtinModules
  .filter((name) => !name.startsWith('_'))
  .flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`]));

const DETERMINISTIC_IMPORTS = [
  ...NODE_BUILTINS.map((name) => ({ name, message: 'Workflow and policy code must stay deterministic: no Node builtins.' })),
  { name: 'pino', message: 'Log with `log` from @temporalio/workflow.' },
];

const SIDE_EFFECTS = {
  group: ['**/activities', '**/activities/*', '**/providers/**', '**/worker/**', '**/cli/**', '@temporalio/client', '@temporalio/worker'],
  allowTypeImports: true,
  message: 'Workflows reach side effects only through activities (import type is fine).',
};

/**
 * The catalogue's schema is built with zod when its module loads. Workflow code is loaded
 * for each workflow, so a value imported from src/config there would build the whole
 * schema again for every workflow, megabytes per parked release. Types are free.
 */
const CATALOGUE_SCHEMA = {
  group: ['**/config', '**/config/*', 'zod'],
  allowTypeImports: true,
  message: 'Workflow, policy and shared code do not load the catalogue schema (zod): import its types (import type), or plain constants from src/shared.',
};

/**
 * Code that plans routes or judges measurements shares them with the router through
 * src/contracts, never through the router program or the router provider, not even for
 * a type (a type import still couples the two).
 */
const ROUTER_INTERNALS = {
  group: ['**/router', '**/router/**', '!**/contracts/**'],
  message: 'Policy, workflows, config and shared code do not import the router: routes, their validation, headers, measurements and the router protocol are in src/contracts.',
};

/**
 * Code that runs inside a workflow (workflows, and the shared and contract modules they
 * import). Date is not here: Temporal makes Date.now() and new Date() deterministic in
 * workflows, so it is the workflow's clock.
 */
const WORKFLOW_GLOBALS = [
  { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
  { name: 'setInterval', message: 'Use sleep() in a loop.' },
  { name: 'setImmediate', message: 'Use sleep() or condition() from @temporalio/workflow.' },
  { name: 'fetch', message: 'Network calls belong in activities.' },
  { name: 'process', message: 'A workflow cannot read its process: settings come in its input, and workflowInfo() from @temporalio/workflow says which workflow, run and task queue it is.' },
  { name: 'crypto', message: 'Random values are not replayed: use uuid4() from @temporalio/workflow.' },
  { name: 'performance', message: 'performance reads a real clock: use Date.now() or new Date(), which Temporal makes deterministic in workflows.' },
];

/** Policy is pure: whatever a workflow would get from Temporal, a policy takes as a parameter. */
const POLICY_GLOBALS = [
  ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: 'Policy decides, it does not wait: return the delay and let the workflow sleep().' })),
  { name: 'fetch', message: 'Policy is pure: take what an activity fetched as a parameter.' },
  { name: 'process', message: 'Policy is pure: take settings as parameters.' },
  { name: 'crypto', message: 'Policy is pure: take random values or IDs as parameters.' },
  { name: 'performance', message: 'Policy is pure: take the time as a parameter.' },
];

/** `up` leads from the importing file to src/. */
function routerClientOnly(up) {
  return {
    group: [`${up}router/*`, `!${up}router/router-admin-client`],
    message: 'Providers reach the router program only through src/router/router-admin-client.ts; routes, headers and the router protocol are in src/contracts.',
  };
}

const STATUS_BY_RECORD =
  'A status changes only through its decision record: record an event (release.record, rollout.record, see src/workflows/decision-record.ts) and fold it into the status in src/policy/*-projection.ts.';

const POLICY_TAKES_TIME = 'Policy does not read the clock: take the time as a parameter (epoch milliseconds; the workflow passes Date.now()).';

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
      'no-restricted-imports': ['error', { paths: DETERMINISTIC_IMPORTS, patterns: [SIDE_EFFECTS, ROUTER_INTERNALS, CATALOGUE_SCHEMA] }],
      'no-restricted-globals': ['error', ...WORKFLOW_GLOBALS],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Math.random is replaced by Temporal in workflows but forbidden in policy: pass randomness in.' },
      ],
    },
  },
  {
    // One record of every decision: workflows change a status only by recording an event
    // (src/workflows/decision-record.ts), which src/policy/*-projection.ts folds in.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "AssignmentExpression > MemberExpression.left MemberExpression[property.name='status']", message: STATUS_BY_RECORD },
        { selector: "UpdateExpression MemberExpression[property.name='status']", message: STATUS_BY_RECORD },
        { selector: "UnaryExpression[operator='delete'] MemberExpression[property.name='status']", message: STATUS_BY_RECORD },
        {
          selector: "CallExpression[callee.property.name=/^(push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin)$/] > MemberExpression.callee MemberExpression[property.name='status']",
          message: STATUS_BY_RECORD,
        },
        { selector: "CallExpression[callee.object.name='Object'][callee.property.name='assign'] > MemberExpression.arguments:first-child[property.name='status']", message: STATUS_BY_RECORD },
      ],
    },
  },
  {
    files: ['src/policy/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...POLICY_GLOBALS],
      // No Date: not Date.now(), new Date(), Date() or Date.parse. One use stays legal,
      // `new Date(ms).toISOString()`: it writes an instant the caller gave, in UTC, so it
      // reads neither the clock nor the host's time zone, and a policy can say when
      // something was due in its own explanation (soak.ts does). Refusing it too would
      // move that wording into the workflows or call for a hand-written ISO formatter.
      // Anything else done with a Date (getHours(), toString(), new Date(y, m, d),
      // parsing) depends on the host's time zone, which differs between workers.
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Date']", message: POLICY_TAKES_TIME },
        { selector: "CallExpression[callee.name='Date']", message: POLICY_TAKES_TIME },
        {
          selector: "NewExpression[callee.name='Date']:not(MemberExpression[property.name='toISOString'] > NewExpression.object[arguments.length=1])",
          message: `${POLICY_TAKES_TIME} To write a time it was given, use new Date(ms).toISOString().`,
        },
      ],
    },
  },
  {
    // The neutral ground that policy, workflows, config, providers and the router share:
    // it runs inside workflows too, and imports nothing of theirs.
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: DETERMINISTIC_IMPORTS,
          patterns: [{ group: ['../*', '../**'], message: 'src/contracts imports nothing from the rest of Gantry: everything else imports it.' }],
        },
      ],
      'no-restricted-globals': ['error', ...WORKFLOW_GLOBALS],
    },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ROUTER_INTERNALS] }] },
  },
  {
    // A provider that starts and talks to the router process is the router's client: it
    // may use the router's own client module, and shares everything else through
    // src/contracts. (From src/providers/<kind>/, `../router` is the router provider.)
    files: ['src/providers/*/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [routerClientOnly('../../')] }] },
  },
  {
    files: ['src/providers/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [routerClientOnly('../')] }] },
  },
);

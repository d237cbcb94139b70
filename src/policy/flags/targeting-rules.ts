import { fieldPath } from './flag-field-path';
import type { FlagProblem } from './flag-document';

/**
 * What flagd's in-process evaluator will do with a targeting rule, checked before the rule
 * is stored: flagd only logs a rule it cannot use and serves the default variant, so a
 * typo would silently switch a rollout off (or on) for everyone.
 *
 * A rule is JSON Logic: an object with exactly one operator whose value is its arguments,
 * plus flagd's own operators (`fractional`, `starts_with`, `ends_with`, `sem_ver`) and
 * `{ "$ref": "<evaluator>" }` for a shared rule from `$evaluators`.
 */

type Path = ReadonlyArray<string | number>;

export interface RuleScope {
  /** The flag's variants; absent for a shared evaluator, which serves several flags. */
  variants?: ReadonlySet<string>;
  evaluators: ReadonlySet<string>;
}

/** How many arguments each operator takes, as flagd's targeting schema defines them. */
const ARITY: Record<string, { min: number; max?: number; bare?: boolean }> = {
  var: { min: 1, max: 2, bare: true },
  missing: { min: 0, bare: true },
  missing_some: { min: 2, max: 2 },
  if: { min: 1 },
  '==': { min: 2, max: 2 },
  '===': { min: 2, max: 2 },
  '!=': { min: 2, max: 2 },
  '!==': { min: 2, max: 2 },
  '>': { min: 2, max: 2 },
  '>=': { min: 2, max: 2 },
  '<': { min: 2, max: 3 },
  '<=': { min: 2, max: 3 },
  '%': { min: 2, max: 2 },
  '/': { min: 2, max: 2 },
  '+': { min: 1 },
  '*': { min: 1 },
  '-': { min: 1, max: 2 },
  map: { min: 2, max: 2 },
  reduce: { min: 2, max: 3 },
  filter: { min: 2, max: 2 },
  all: { min: 2, max: 2 },
  none: { min: 2, max: 2 },
  some: { min: 2, max: 2 },
  in: { min: 2, max: 2 },
  substr: { min: 2, max: 3 },
  '!': { min: 1, max: 1, bare: true },
  '!!': { min: 1, max: 1, bare: true },
  max: { min: 1 },
  min: { min: 1 },
  or: { min: 1 },
  and: { min: 1 },
  merge: { min: 0, bare: true },
  cat: { min: 1, bare: true },
  starts_with: { min: 2, max: 2 },
  ends_with: { min: 2, max: 2 },
  sem_ver: { min: 3, max: 3 },
  fractional: { min: 1 },
};

export const FLAGD_OPERATORS: readonly string[] = Object.keys(ARITY);

const SEM_VER_COMPARISONS = ['=', '!=', '>', '<', '>=', '<=', '~', '^'];

/** What flagd's sem_ver accepts: full versions, an optional v, and the short forms 1 and 1.2. */
const SEM_VER_LITERAL = /^[vV]?(0|[1-9]\d*)(\.(0|[1-9]\d*)(\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)?)?$/;

/** Gantry's rule for percentages (flagd would normalise any total): see checkFractional. */
export const FRACTIONAL_TOTAL = 100;

export function checkTargetingRule(rule: unknown, path: Path, scope: RuleScope): FlagProblem[] {
  const problems: FlagProblem[] = [];
  if (isObject(rule) && Object.keys(rule).length === 0) return problems; // {}: no targeting
  walk(rule, path, scope, problems);
  return problems;
}

function walk(node: unknown, path: Path, scope: RuleScope, problems: FlagProblem[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => walk(item, [...path, index], scope, problems));
    return;
  }
  if (!isObject(node)) return; // a literal
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    problems.push({
      field: fieldPath(path),
      message:
        keys.length === 0
          ? 'is an empty object, which is no JSON Logic rule: remove it or write a rule such as {"==": [{"var": "plan"}, "pro"]}'
          : `has ${keys.length} operators (${keys.join(', ')}) in one object; a JSON Logic rule has exactly one: combine them with {"and": [...]} or {"or": [...]}`,
    });
    return;
  }
  const operator = keys[0];
  const args = node[operator];
  const here = [...path, operator];
  if (operator === '$ref') {
    checkReference(args, here, scope, problems);
    return;
  }
  const arity = ARITY[operator];
  if (!arity) {
    problems.push({
      field: fieldPath(here),
      message: `is not an operator flagd knows; use a JSON Logic operator (var, if, ==, !=, <, >, in, and, or, !, …) or one of flagd's: fractional, starts_with, ends_with, sem_ver`,
    });
    return;
  }
  const list = Array.isArray(args) ? args : arity.bare ? [args] : undefined;
  if (!list) {
    problems.push({ field: fieldPath(here), message: `takes a list of arguments: write {"${operator}": [ … ]}` });
    return;
  }
  if (list.length < arity.min || (arity.max !== undefined && list.length > arity.max)) {
    problems.push({ field: fieldPath(here), message: `takes ${describeArity(arity)}, got ${list.length}${example(operator)}` });
    return;
  }
  const before = problems.length;
  if (operator === 'in') checkIn(list, here, problems);
  else if (operator === 'starts_with' || operator === 'ends_with') checkStringCompare(operator, list, here, problems);
  else if (operator === 'sem_ver') checkSemVer(list, here, problems);
  else if (operator === 'fractional') checkFractional(list, here, scope, problems);
  else if (operator === 'var') checkVar(list, here, problems);
  if (problems.length > before) return;
  walk(args, here, scope, problems);
}

function checkReference(target: unknown, here: Path, scope: RuleScope, problems: FlagProblem[]): void {
  if (typeof target !== 'string' || !scope.evaluators.has(target)) {
    const known = [...scope.evaluators];
    problems.push({
      field: fieldPath(here),
      message: `refers to ${JSON.stringify(target)}, which is not in $evaluators; ${known.length > 0 ? `use one of ${known.join(', ')}` : 'define it under $evaluators first'}`,
    });
  }
}

/** `{"in": [needle, haystack]}`: the haystack is a list (allow-list) or a string (substring). */
function checkIn(args: unknown[], here: Path, problems: FlagProblem[]): void {
  const haystack = args[1];
  if (typeof haystack === 'string' || Array.isArray(haystack) || isObject(haystack)) return;
  problems.push({
    field: fieldPath([...here, 1]),
    message: 'must be a list to look in (an allow-list: {"in": [{"var": "email"}, ["ann@corp.example"]]}) or a string (a substring: {"in": ["@corp.example", {"var": "email"}]})',
  });
}

function checkStringCompare(operator: string, args: unknown[], here: Path, problems: FlagProblem[]): void {
  args.forEach((arg, index) => {
    if (typeof arg !== 'string' && !isObject(arg)) {
      problems.push({
        field: fieldPath([...here, index]),
        message: `must be a string or a rule that gives one, e.g. {"${operator}": [{"var": "email"}, "${operator === 'ends_with' ? '@corp.example' : 'admin-'}"]}`,
      });
    }
  });
}

function checkSemVer(args: unknown[], here: Path, problems: FlagProblem[]): void {
  for (const index of [0, 2]) {
    const arg = args[index];
    if (isObject(arg)) continue;
    if (typeof arg !== 'string' || !SEM_VER_LITERAL.test(arg)) {
      problems.push({ field: fieldPath([...here, index]), message: `must be a version such as "1.4.0" (or a rule such as {"var": "version"}), got ${JSON.stringify(arg)}` });
    }
  }
  if (typeof args[1] !== 'string' || !SEM_VER_COMPARISONS.includes(args[1])) {
    problems.push({ field: fieldPath([...here, 1]), message: `must be one of ${SEM_VER_COMPARISONS.map((c) => `"${c}"`).join(', ')}, got ${JSON.stringify(args[1])}` });
  }
}

/**
 * `{"fractional": [bucketBy?, [variant, weight], …]}`. flagd divides by whatever the
 * weights add up to; Gantry requires whole percentages that add up to 100, so "5" in a
 * rollout is 5 % of users and a typo (50 + 60) is refused instead of silently rescaled.
 */
function checkFractional(args: unknown[], here: Path, scope: RuleScope, problems: FlagProblem[]): void {
  const first = args[0];
  const offset = Array.isArray(first) ? 0 : 1; // a leading non-list is the bucketing value
  if (offset === 1 && typeof first !== 'string' && !isObject(first)) {
    problems.push({ field: fieldPath([...here, 0]), message: 'must be the value to bucket by (a string or a rule such as {"var": "email"}), or leave it out to bucket by targetingKey' });
    return;
  }
  const buckets = args.slice(offset);
  if (buckets.length === 0) {
    problems.push({ field: fieldPath(here), message: 'needs at least one [variant, percentage] bucket, e.g. {"fractional": [["on", 5], ["off", 95]]}' });
    return;
  }
  let total = 0;
  let shapesOk = true;
  buckets.forEach((bucket, i) => {
    const at = [...here, i + offset];
    if (!Array.isArray(bucket) || bucket.length !== 2) {
      problems.push({ field: fieldPath(at), message: 'must be a [variant, percentage] pair, e.g. ["on", 25]' });
      shapesOk = false;
      return;
    }
    const [variant, weight] = bucket as [unknown, unknown];
    if (typeof variant !== 'string') {
      problems.push({ field: fieldPath([...at, 0]), message: `must name a variant, got ${JSON.stringify(variant)}` });
    } else if (scope.variants && !scope.variants.has(variant)) {
      problems.push({ field: fieldPath([...at, 0]), message: `names ${JSON.stringify(variant)}, which is not a variant of this flag; use one of ${[...scope.variants].join(', ')}` });
    }
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > FRACTIONAL_TOTAL) {
      problems.push({ field: fieldPath([...at, 1]), message: `must be a whole percentage from 0 to 100, got ${JSON.stringify(weight)}` });
      shapesOk = false;
    } else {
      total += weight;
    }
  });
  if (shapesOk && total !== FRACTIONAL_TOTAL) {
    problems.push({
      field: fieldPath(here),
      message: `percentages add up to ${total}, not ${FRACTIONAL_TOTAL}: change them so they do (flagd would rescale them silently), e.g. ["on", 5], ["off", 95]`,
    });
  }
}

function checkVar(args: unknown[], here: Path, problems: FlagProblem[]): void {
  const name = args[0];
  if (typeof name !== 'string' && typeof name !== 'number' && !isObject(name)) {
    problems.push({ field: fieldPath(here), message: `must name a context field, e.g. {"var": "email"}, got ${JSON.stringify(name)}` });
  }
}

function describeArity(arity: { min: number; max?: number }): string {
  if (arity.max === arity.min) return `${arity.min} argument${arity.min === 1 ? '' : 's'}`;
  if (arity.max === undefined) return `at least ${arity.min} argument${arity.min === 1 ? '' : 's'}`;
  return `${arity.min} to ${arity.max} arguments`;
}

const EXAMPLES: Record<string, string> = {
  in: '{"in": [{"var": "email"}, ["ann@corp.example", "bob@corp.example"]]}',
  starts_with: '{"starts_with": [{"var": "email"}, "admin-"]}',
  ends_with: '{"ends_with": [{"var": "email"}, "@corp.example"]}',
  sem_ver: '{"sem_ver": [{"var": "version"}, ">=", "1.4.0"]}',
  fractional: '{"fractional": [["on", 5], ["off", 95]]}',
};

function example(operator: string): string {
  return EXAMPLES[operator] ? `: write e.g. ${EXAMPLES[operator]}` : '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

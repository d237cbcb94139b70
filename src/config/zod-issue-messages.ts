import { z } from 'zod';
import { closestMatch } from './closest-match';

type RawIssue = z.core.$ZodRawIssue;

/**
 * A zod error map that rewrites zod's generic messages ("Invalid input: expected string,
 * received number") into ones that say what the field needs. Messages written into the
 * schema itself win over this map, so it only fills in where the schema said nothing.
 * Unknown keys are left to `unknownKeyMessage`, because that issue is split per key.
 */
export const catalogueErrorMap: z.core.$ZodErrorMap = (issue) => {
  const field = lastKey(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return invalidTypeMessage(issue.expected, issue.input, field, hintOf(issue));
    case 'invalid_value':
      return invalidValueMessage(issue.values, issue.input, lastNamedKey(issue.path), issue.inst instanceof z.ZodEnum, hintOf(issue));
    case 'too_small':
      return tooSmallMessage(issue.origin, Number(issue.minimum), issue.inclusive !== false, issue.input);
    case 'too_big':
      return tooBigMessage(issue.origin, Number(issue.maximum), issue.inclusive !== false, issue.input);
    case 'invalid_format':
      return `${show(issue.input)} is not valid here${issue.pattern ? `; it must match ${issue.pattern}` : ''}`;
    case 'invalid_key':
      return `invalid key ${show(field)}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    default:
      return undefined;
  }
};

/**
 * Keys an earlier catalogue format had, with the key that replaced them and what to
 * write instead. A file written for that format gets told how to move on rather than
 * a guess at the nearest key. Only where the replacement is allowed, so the same word
 * elsewhere is an ordinary unknown key.
 */
const REPLACED_KEYS: Record<string, { by: string; message: string }> = {
  source: {
    by: 'repository',
    message:
      "source was replaced by repository: name the service's git repository (a URL, or a path relative to this file) and, for a service in a subfolder of it, directory: <folder>",
  },
};

/** `unknown key "buidl"; did you mean "build"?`, or the list of allowed keys when nothing is close. */
export function unknownKeyMessage(key: string, allowedKeys: readonly string[]): string {
  const replaced = Object.hasOwn(REPLACED_KEYS, key) ? REPLACED_KEYS[key] : undefined;
  if (replaced && allowedKeys.includes(replaced.by)) return replaced.message;
  const suggestion = closestMatch(key, allowedKeys);
  if (suggestion) return `unknown key ${show(key)}; did you mean ${show(suggestion)}?`;
  if (allowedKeys.length === 0) return `unknown key ${show(key)}; remove it`;
  return `unknown key ${show(key)}; the keys allowed here are ${allowedKeys.join(', ')}`;
}

function invalidTypeMessage(expected: string, input: unknown, field: string | undefined, hint: string): string {
  if (field === undefined && (input === undefined || input === null)) {
    return 'the file is empty; it needs `version: 1` and a `services:` map';
  }
  if (input === undefined) return `missing required key ${show(field)}${hint}`;
  if (input === null) return `has no value; expected ${typeName(expected)}${hint}`;
  return `expected ${typeName(expected)}, got ${describeValue(input)}${hint}`;
}

function invalidValueMessage(values: readonly unknown[], input: unknown, field: string | undefined, isEnum: boolean, hint: string): string {
  const choices = values.length === 1 ? show(values[0]) : `one of ${values.map(show).join(', ')}`;
  if (!isEnum) return `must be ${choices}, got ${show(input)}${hint}`;
  const strings = values.filter((value): value is string => typeof value === 'string');
  const suggestion = typeof input === 'string' ? closestMatch(input, strings) : undefined;
  const fix = suggestion ? `did you mean ${show(suggestion)}?` : `expected ${choices}`;
  return `unknown ${field ?? 'value'} ${show(input)}; ${fix}`;
}

function tooSmallMessage(origin: string, minimum: number, inclusive: boolean, input: unknown): string {
  if (origin === 'string') return minimum <= 1 ? 'must not be empty' : `must be at least ${minimum} characters long`;
  if (origin === 'array') return `list at least ${minimum} ${minimum === 1 ? 'item' : 'items'}`;
  return `must be ${inclusive ? 'at least' : 'more than'} ${minimum}, got ${show(input)}`;
}

function tooBigMessage(origin: string, maximum: number, inclusive: boolean, input: unknown): string {
  if (origin === 'string') return `must be at most ${maximum} characters long`;
  if (origin === 'array') return `list at most ${maximum} ${maximum === 1 ? 'item' : 'items'}`;
  return `must be ${inclusive ? 'at most' : 'less than'} ${maximum}, got ${show(input)}`;
}

/** The schema's own description of the field, as " — <description>", to say what belongs there. */
function hintOf(issue: RawIssue): string {
  const description = issue.inst instanceof z.ZodType ? issue.inst.description : undefined;
  if (!description) return '';
  return ` — ${description.charAt(0).toLowerCase()}${description.slice(1).replace(/\.$/, '')}`;
}

/** The field a list item belongs to (`events` for `events[1]`): "unknown events "deployed"" reads, "unknown 1" does not. */
function lastNamedKey(path: readonly PropertyKey[] | undefined): string | undefined {
  const named = path?.filter((key) => typeof key === 'string');
  return named?.at(-1);
}

function lastKey(path: readonly PropertyKey[] | undefined): string | undefined {
  const last = path?.at(-1);
  return last === undefined ? undefined : String(last);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object (key: value pairs)',
  record: 'an object (key: value pairs)',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'boolean') return `${value} (a boolean)`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'string') return `a string (${show(value)})`;
  return typeof value;
}

/** A value as it would be quoted in a message: strings in double quotes, the rest as YAML writes them. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

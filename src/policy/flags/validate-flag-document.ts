import Ajv, { type ErrorObject } from 'ajv';
import { fieldPath, pointerParts } from './flag-field-path';
import type { FlagDocument, FlagProblem } from './flag-document';
import { checkFlagSemantics } from './flag-semantics';
import { FLAG_DOCUMENT_SCHEMA } from './flagd-schema';

/**
 * The one gate every flag document passes before it is stored or served: flagd's schema
 * first (structure), then the checks a schema cannot make. Each problem names the field and
 * the fix, e.g. `flags.new-checkout.defaultVariant: is "of", which is not a variant …`.
 */

export type FlagValidation = { ok: true; document: FlagDocument } | { ok: false; problems: FlagProblem[] };

// Compiled once per process; ajv builds the validator as a function, so this module
// belongs where a schema check runs (CLI, activities, the store), not inside a workflow.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile(FLAG_DOCUMENT_SCHEMA);

export function validateFlagDocument(value: unknown): FlagValidation {
  if (!validateSchema(value)) {
    return { ok: false, problems: dedupe((validateSchema.errors ?? []).map((error) => schemaProblem(error, value))) };
  }
  const document = value as unknown as FlagDocument;
  const problems = checkFlagSemantics(document);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, document };
}

/** Parses flag document text (a file, a request body) and validates it. */
export function parseFlagDocument(text: string): FlagValidation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [{ field: '(document)', message: `is not JSON (${(err as Error).message}): fix the syntax; a flag document is flagd's flag definition JSON` }] };
  }
  return validateFlagDocument(value);
}

/** "flags.new-checkout.defaultVariant: is …; flags.beta.state: must be …", for an error message. */
export function describeFlagProblems(problems: readonly FlagProblem[]): string {
  return problems.map((problem) => `${problem.field}: ${problem.message}`).join('\n');
}

function schemaProblem(error: ErrorObject, document: unknown): FlagProblem {
  const at = pointerParts(error.instancePath, document);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { field: fieldPath([...at, missing]), message: `is missing: ${REQUIRED_FIX[missing] ?? 'add it'}` };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return { field: fieldPath([...at, extra]), message: `is not a field of ${at.length === 0 ? 'a flag document' : 'a flagd flag'}: remove it or fix its spelling (${knownFields(at)})` };
    }
    case 'enum':
      return { field: fieldPath(at), message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(document, at))}` };
    case 'type':
      return { field: fieldPath(at), message: `must be ${describeType(params.type)}, got ${describeValue(valueAt(document, at))}` };
    case 'minProperties':
      return { field: fieldPath(at), message: 'needs at least one variant, e.g. { "on": true, "off": false }' };
    case 'propertyNames':
      return { field: fieldPath(at), message: 'has an empty key: give every flag, variant and evaluator a name' };
    default:
      return { field: fieldPath(at), message: error.message ?? 'does not match flagd\'s schema' };
  }
}

const REQUIRED_FIX: Record<string, string> = {
  flags: 'a flag document is { "flags": { "<flag-key>": { … } } }',
  state: 'add "state": "ENABLED" or "DISABLED"',
  variants: 'add "variants", e.g. { "on": true, "off": false }',
};

function knownFields(at: ReadonlyArray<string | number>): string {
  return at.length === 0 ? 'flags, $evaluators, metadata, $schema' : 'state, variants, defaultVariant, targeting, metadata';
}

function describeType(type: unknown): string {
  const names = (Array.isArray(type) ? type : [type]).map((t) => (t === 'object' ? 'an object' : t === 'null' ? 'null' : `a ${String(t)}`));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(document: unknown, at: ReadonlyArray<string | number>): unknown {
  let here: unknown = document;
  for (const part of at) here = here !== null && typeof here === 'object' ? (here as Record<string, unknown>)[part] : undefined;
  return here;
}

function dedupe(problems: FlagProblem[]): FlagProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.field}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

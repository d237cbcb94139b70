/**
 * The flag document Gantry stores and serves: flagd's flag definition JSON, unchanged, so
 * the stock flagd provider reads it from the sync stream or from the file alike.
 *
 * ```json
 * { "flags": { "new-checkout": { "state": "ENABLED", "variants": { "on": true, "off": false },
 *   "defaultVariant": "off", "targeting": { "in": [{ "var": "email" }, ["ann@corp.example"]] } } } }
 * ```
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON Logic rule as flagd evaluates it (an object with one operator, or `{}`). */
export type TargetingRule = { [operator: string]: JsonValue };

export type FlagState = 'ENABLED' | 'DISABLED';

/** flagd keeps all variants of one flag the same type: boolean, number, string or object. */
export type VariantValue = boolean | number | string | { [key: string]: JsonValue };

/** Metadata values flagd passes through to the application's evaluation details. */
export type FlagMetadata = Record<string, string | number | boolean>;

export interface FlagDefinition {
  state: FlagState;
  variants: Record<string, VariantValue>;
  /** Omitted or null: the application's code default is served (flagd's rule). */
  defaultVariant?: string | null;
  targeting?: TargetingRule;
  metadata?: FlagMetadata;
}

export interface FlagDocument {
  $schema?: string;
  flags: Record<string, FlagDefinition>;
  /** Shared rules a targeting rule refers to with `{ "$ref": "<name>" }`. */
  $evaluators?: Record<string, TargetingRule>;
  metadata?: FlagMetadata;
}

/** One thing wrong with a flag document: the field (`flags.new-checkout.defaultVariant`) and what to do. */
export interface FlagProblem {
  field: string;
  message: string;
}

/** The published schema address; documents Gantry writes carry it so editors can check them too. */
export const FLAGD_SCHEMA_URL = 'https://flagd.dev/schema/v0/flags.json';

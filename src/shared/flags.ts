import type { FlagDefinition } from '../policy/flags/flag-document';
import { DEFAULT_TASK_QUEUE } from './ids';

/**
 * A feature flag as a durable entity (`flag/<key>`, suffixed `@<task queue>` off the
 * default queue): its flagd definition as the flag store serves it, and every change to
 * it, who made it and why. Plain data, shared by the workflow, the activities, the CLI
 * and the tests; the messages are in messages.ts.
 */

/** Flag keys Gantry manages: what a workflow ID, a file name and a shell argument all carry safely. */
export const FLAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function flagKeyProblem(key: string | undefined): string | undefined {
  if (!key) return 'name the flag (its key in the flag document, e.g. new-checkout)';
  if (!FLAG_KEY_PATTERN.test(key)) return `"${key}" is not a flag key Gantry manages: letters, digits, . _ and -, starting with a letter or digit, at most 128 characters`;
  return undefined;
}

export function flagWorkflowId(key: string, taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? `flag/${key}` : `flag/${key}@${taskQueue}`;
}

/** `gantry flags set` and the `set` update/signal: a whole new definition of one flag. */
export interface SetFlagRequest {
  by: string;
  /** Why (recorded; optional for a set). */
  reason?: string;
  definition: FlagDefinition;
}

/** `gantry flags kill` and the `kill` update/signal. */
export interface KillFlagRequest {
  by: string;
  /** Why it is turned off (required, recorded). */
  reason: string;
}

/**
 * How a kill turns a flag off: every evaluation gets the flag's off variant (targeting
 * removed, the default variant set to it), or, for a flag without an off variant, the
 * flag is DISABLED and applications get the default in their code.
 */
export type KillMethod = 'off_variant' | 'disabled';

/** One accepted change, as the entity lists them (newest last). */
export interface FlagChange {
  seq: number;
  at: string;
  kind: 'adopted' | 'set' | 'killed';
  by: string;
  reason?: string;
  /** What changed, one line each: `state ENABLED → DISABLED`, `targeting removed`. */
  summary: string[];
  /** The store revision the change was written as. */
  revision: number;
}

/** What `gantry flags show` and the `flag` query return. */
export interface FlagView {
  key: string;
  /** The definition the store serves; absent while the entity has not found or been given one. */
  definition?: FlagDefinition;
  /** The store revision of the last change this entity wrote (or found). */
  revision?: number;
  /** Set by a kill, cleared by the next accepted set. */
  killed?: { by: string; reason: string; at: string; method: KillMethod; offVariant?: string; before: FlagDefinition };
  updatedAt?: string;
  updatedBy?: string;
  /** The most recent accepted changes, oldest first. */
  changes: FlagChange[];
  /** The most recent refusals (no role, invalid definition), oldest first. */
  refusals: { at: string; command: 'set' | 'kill'; by: string; refusal: string }[];
}

/** The answer to an accepted set or kill. */
export interface FlagChangeAnswer {
  key: string;
  kind: 'set' | 'killed';
  definition: FlagDefinition;
  revision: number;
  summary: string[];
  /** For a kill: how it turned the flag off. */
  method?: KillMethod;
  offVariant?: string;
}

/** What one flag-store write reports back to the workflow. */
export interface FlagWriteResult {
  revision: number;
  /** The definition the store held for the flag before this write (absent: the flag is new). */
  before?: FlagDefinition;
}

/** The store's view of one flag, for an entity on first use. */
export interface StoredFlag {
  definition?: FlagDefinition;
  revision: number;
}

export interface FlagInput {
  key: string;
  /** What continue-as-new carries over. */
  carried?: { view: FlagView; lastSeq: number };
}

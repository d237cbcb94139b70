import type { FlagDocument, FlagProblem } from '../../policy/flags/flag-document';
import { describeFlagProblems } from '../../policy/flags/validate-flag-document';

/**
 * Where flags live: one flagd flag document with a revision that grows by one on every
 * write. Writers never lose each other's changes (`update` reads and writes under one
 * lock; `write` with `expectedRevision` refuses a stale base), readers get a whole
 * document and its revision, and listeners hear of every change, from this process or
 * another one.
 */

export interface FlagSnapshot {
  document: FlagDocument;
  revision: number;
  /** The document exactly as stored and served (the sync stream sends this text). */
  text: string;
}

export interface FlagWriteOptions {
  /** Compare-and-set: refuse the write unless the stored revision is still this one. */
  expectedRevision?: number;
}

export interface FlagStore {
  /** The document on disk now, with its revision. */
  read(): Promise<FlagSnapshot>;
  /** Replaces the document; resolves with the new snapshot once it is on disk. */
  write(document: FlagDocument, options?: FlagWriteOptions): Promise<FlagSnapshot>;
  /** Reads, changes and writes under one lock, so concurrent updates all land. */
  update(change: (current: FlagDocument) => FlagDocument): Promise<FlagSnapshot>;
  /** Calls the listener with every newer revision; returns the unsubscribe function. */
  onChange(listener: (snapshot: FlagSnapshot) => void): () => void;
  close(): void;
}

/** A write whose base revision is no longer current. */
export class FlagRevisionConflict extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`the flags changed since revision ${expected} (now ${actual}): read them again, reapply your change and write with expectedRevision ${actual}`);
    this.name = 'FlagRevisionConflict';
  }
}

/** A document the store refuses; `problems` name each field and its fix. */
export class InvalidFlagDocument extends Error {
  constructor(readonly problems: FlagProblem[]) {
    super(`the flag document is not valid flagd JSON:\n${describeFlagProblems(problems)}`);
    this.name = 'InvalidFlagDocument';
  }
}

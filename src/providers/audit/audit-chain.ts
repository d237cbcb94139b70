import { createHash } from 'node:crypto';
import type { ChainReport } from './audit-store';

/** The link the first entry points back to. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * An entry's hash: sha256 over the previous entry's hash, its own position and its
 * canonical JSON. Chaining the previous hash makes a removed, inserted or reordered entry
 * break the link after it; covering the position makes a renumbered one break its own.
 */
export function entryHash(prevHash: string, position: number, content: string): string {
  return createHash('sha256').update(`${prevHash}\n${position}\n${content}`).digest('hex');
}

/** An entry's position and hash, kept outside the store to check it later. */
export interface ChainAnchor {
  position: number;
  hash: string;
}

/** An entry as the chain walk sees it: what was hashed, and the columns queries use. */
export interface ChainRow {
  position: number;
  key: string;
  content: string;
  prevHash: string;
  hash: string;
  /** The indexed columns, which must say what the hashed content says. */
  columns: Record<string, unknown>;
}

/**
 * Walks the chain in position order and stops at the first entry that is not as it was
 * written. Worked example: entries 1..5, entry 3 deleted by hand → the walk expects 3,
 * finds 4: "entry 3 is missing". Entry 3's content edited → its hash no longer matches.
 * Entries 2 and 3 swapped → entry 2 now points back at 2's predecessor's successor: its
 * link is broken. A row appended after the last one without moving the head is past it.
 */
export class ChainWalk {
  private expected = 1;
  private prevHash = GENESIS_HASH;
  private bad?: Extract<ChainReport, { intact: false }>['firstBad'];
  private readonly anchors: Map<number, string>;

  /**
   * `anchors`: heads kept outside the store (`gantry audit verify --anchors FILE`). The
   * chain alone cannot tell a history rewritten from an entry on, every hash recomputed
   * and the head moved with it; an entry that no longer has the hash anchored for its
   * position can.
   */
  constructor(anchors: readonly ChainAnchor[] = []) {
    this.anchors = new Map(anchors.map((a) => [a.position, a.hash]));
  }

  /** Checks the next row; false once a bad entry was found (stop reading). */
  next(row: ChainRow): boolean {
    if (this.bad) return false;
    const problem = this.problemOf(row);
    if (problem) {
      this.bad = { position: problem.position ?? row.position, key: problem.position === undefined || problem.position === row.position ? row.key : undefined, problem: problem.text };
      return false;
    }
    this.expected += 1;
    this.prevHash = row.hash;
    return true;
  }

  /** The verdict, given the chain head the store recorded (its last position and hash). */
  finish(head: { position: number; hash: string }): ChainReport {
    const entries = this.expected - 1;
    if (this.bad) return { intact: false, entries, firstBad: this.bad };
    const beyond = [...this.anchors.keys()].filter((position) => position > entries).sort((a, b) => a - b)[0];
    if (beyond !== undefined) {
      return { intact: false, entries, firstBad: { position: entries + 1, problem: `entry ${beyond} was anchored, but the chain holds only ${entries} entries (removed from its end)` } };
    }
    if (head.position > entries) {
      return { intact: false, entries, firstBad: { position: entries + 1, problem: `entries ${entries + 1} to ${head.position} are missing (removed from the end of the chain, whose head is at ${head.position})` } };
    }
    if (head.position < entries) {
      return { intact: false, entries, firstBad: { position: head.position + 1, problem: `entry ${head.position + 1} is past the chain's head at ${head.position} (inserted)` } };
    }
    if (head.hash !== this.prevHash) {
      return { intact: false, entries, firstBad: { position: entries, problem: `entry ${entries} is not the one the chain's head records (inserted or replaced)` } };
    }
    return { intact: true, entries, head: head.hash, ...(this.anchors.size ? { anchorsChecked: this.anchors.size } : {}) };
  }

  private problemOf(row: ChainRow): { position?: number; text: string } | undefined {
    if (row.position !== this.expected) {
      return { position: this.expected, text: `entry ${this.expected} is missing (removed); the chain goes on at ${row.position}` };
    }
    if (row.prevHash !== this.prevHash) {
      return { text: `entry ${row.position} does not follow entry ${row.position - 1} (its link names another entry: inserted, removed or reordered)` };
    }
    if (entryHash(row.prevHash, row.position, row.content) !== row.hash) {
      return { text: `entry ${row.position} does not match its hash (its content was edited)` };
    }
    const anchored = this.anchors.get(row.position);
    if (anchored !== undefined && anchored !== row.hash) {
      return { text: `entry ${row.position} is not the one anchored at that position (${anchored.slice(0, 12)}…): the chain was rewritten at or before it, its hashes recomputed` };
    }
    const mismatch = disagreeingColumn(row);
    if (mismatch) return { text: `entry ${row.position}'s ${mismatch} column disagrees with its hashed content (edited)` };
    return undefined;
  }
}

function disagreeingColumn(row: ChainRow): string | undefined {
  let content: Record<string, unknown>;
  try {
    content = JSON.parse(row.content) as Record<string, unknown>;
  } catch {
    return 'content';
  }
  if (content.key !== row.key) return 'key';
  for (const [name, value] of Object.entries(row.columns)) {
    if ((content[name] ?? null) !== (value ?? null)) return name;
  }
  return undefined;
}

import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin } from './audit-sink';
import type { ChainAnchor } from './audit-chain';

/**
 * The audit store: an append-only, hash-chained record of every decision, kept outside
 * Temporal so it outlives the namespace. Two implementations share one schema and the
 * same queries (`SqlAuditStore`): PGlite under the state folder (the embedded default)
 * and a real PostgreSQL (`GANTRY_AUDIT_DATABASE_URL`).
 */
export interface AuditStore {
  /** What it is, for logs and `gantry doctor` (never a password). */
  readonly describe: string;
  /**
   * Appends the events in order, each at most once: an event whose key is already stored
   * (an activity retried, a worker killed after the commit) is skipped, not duplicated.
   */
  append(events: AuditAppend[]): Promise<AppendResult>;
  /** Every entry about one release (its own events, its rollouts', its environments' turns and deploys), in chain order. */
  forRelease(releaseWorkflowId: string): Promise<AuditEntry[]>;
  /** Entries whose event happened in [since, until), in chain order. */
  between(since: Date, until: Date): Promise<AuditEntry[]>;
  /** Walks the whole chain and names the first entry that is not as it was written. */
  verify(anchors?: readonly ChainAnchor[]): Promise<ChainReport>;
  /** Answers when the store is reachable: how many entries the chain holds. */
  ping(): Promise<{ entries: number }>;
  close(): Promise<void>;
}

/** One event to append, with where it came from. */
export interface AuditAppend {
  event: Recorded;
  origin: AuditOrigin;
}

export interface AppendResult {
  appended: number;
  /** Already stored: a retry, a replayed delivery. */
  skipped: number;
}

/** One entry of the chain as stored. */
export interface AuditEntry {
  /** 1, 2, 3 … with no gap: the entry's place in the chain. */
  position: number;
  /** What makes the event unique (see `auditKey`). */
  key: string;
  /** The release the event is about, when it is about one. */
  release?: string;
  namespace: string;
  workflowType: string;
  runId: string;
  event: Recorded;
  /** The hash of the entry before (64 zeros for the first). */
  prevHash: string;
  /** sha256 over the previous hash, the position and the entry's canonical JSON. */
  hash: string;
}

export type ChainReport =
  | { intact: true; entries: number; head: string; anchorsChecked?: number }
  | { intact: false; entries: number; firstBad: { position: number; key?: string; problem: string } };

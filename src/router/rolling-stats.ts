import { STATS_RETENTION_MS } from '../contracts/router-protocol';
import type { RouterStats, VersionStats } from '../contracts/router-protocol';
import { latencyPairs, mergeInto, percentile, recordLatency } from './latency-histogram';
import type { LatencyHistogram } from './latency-histogram';

interface VersionBucket {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

interface SecondBucket {
  /** Seconds since the epoch this slot holds; a slot whose second is older is stale. */
  second: number;
  versions: Map<string, VersionBucket>;
}

/**
 * Per-version request counts, errors and latencies for the last 15 minutes, in one
 * bucket per second held in a ring: recording touches one bucket, and a window of N
 * seconds is the merge of the N most recent ones. Kept in memory only: a restarted
 * router starts with no history, which the analysis sees as "no data", not as a pass.
 *
 * A window covers whole seconds ending with the current one, so `windowMs: 60000`
 * spans between 59 and 60 seconds of traffic.
 */
export class RollingStats {
  private readonly slots: SecondBucket[];
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.slots = Array.from({ length: STATS_RETENTION_MS / 1000 }, () => ({ second: -1, versions: new Map() }));
  }

  record(version: string, latencyMs: number, isError: boolean): void {
    const second = Math.floor(this.now() / 1000);
    const slot = this.slots[second % this.slots.length] as SecondBucket;
    if (slot.second !== second) {
      slot.second = second;
      slot.versions = new Map();
    }
    let bucket = slot.versions.get(version);
    if (!bucket) {
      bucket = { requests: 0, errors: 0, latency: new Map() };
      slot.versions.set(version, bucket);
    }
    bucket.requests += 1;
    if (isError) bucket.errors += 1;
    recordLatency(bucket.latency, latencyMs);
  }

  /**
   * The raw counts of the window that ends now (`windowMs` from 1 ms up to
   * {@link STATS_RETENTION_MS}), in a form that survives JSON (a message between
   * processes) and that {@link summarizeWindow} merges with other workers'.
   */
  counts(windowMs: number): WindowCounts {
    const current = Math.floor(this.now() / 1000);
    const seconds = Math.min(this.slots.length, Math.max(1, Math.ceil(windowMs / 1000)));
    const merged = new Map<string, VersionBucket>();
    for (const slot of this.slots) {
      if (slot.second > current - seconds && slot.second <= current) {
        for (const [version, bucket] of slot.versions) mergeBucket(merged, version, bucket);
      }
    }
    const counts: WindowCounts = {};
    for (const [version, bucket] of merged) counts[version] = { requests: bucket.requests, errors: bucket.errors, latency: [...bucket.latency] };
    return counts;
  }
}

/** Per version: requests, errors, and the latency histogram as [bucket, count] pairs. */
export type WindowCounts = Record<string, { requests: number; errors: number; latency: Array<[number, number]> }>;

/** Requests, errors and latency percentiles per version over several processes' counts of one window. */
export function summarizeWindow(windowMs: number, parts: WindowCounts[]): RouterStats {
  const merged = new Map<string, VersionBucket>();
  for (const part of parts) {
    for (const [version, counts] of Object.entries(part)) mergeBucket(merged, version, { ...counts, latency: new Map(counts.latency) });
  }
  const versions: Record<string, VersionStats> = {};
  for (const [version, bucket] of merged) {
    const p50 = percentile(bucket.latency, 0.5);
    const p99 = percentile(bucket.latency, 0.99);
    versions[version] = {
      requests: bucket.requests,
      errors: bucket.errors,
      latencyMs: { ...(p50 === undefined ? {} : { p50 }), ...(p99 === undefined ? {} : { p99 }) },
      latencyHistogram: latencyPairs(bucket.latency),
    };
  }
  return { windowMs, versions };
}

function mergeBucket(into: Map<string, VersionBucket>, version: string, bucket: VersionBucket): void {
  const target = into.get(version) ?? { requests: 0, errors: 0, latency: new Map() };
  target.requests += bucket.requests;
  target.errors += bucket.errors;
  mergeInto(target.latency, bucket.latency);
  into.set(version, target);
}

import type { Sinks } from '@temporalio/workflow';
import type { Recorded } from './decision-events';

/**
 * The sink every recorded decision leaves the workflow through (one call per event, not
 * repeated when a history replays). The worker injects it (src/worker/audit-sinks.ts);
 * where it goes is the worker's `AuditSink`. `delivery` says whether the workflow's
 * outbox brings the event to the audit store itself ('outbox'), or only this sink can
 * ('sink': a refused update, or a run recorded before the store existed).
 */
export interface AuditSinks extends Sinks {
  audit: { record(event: Recorded, delivery?: AuditDelivery): void };
}

export type AuditDelivery = 'outbox' | 'sink';

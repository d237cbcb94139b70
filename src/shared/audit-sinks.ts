import type { Sinks } from '@temporalio/workflow';
import type { Recorded } from './decision-events';

/**
 * The sink every recorded decision leaves the workflow through (one call per event, not
 * repeated when a history replays). The worker injects it (src/worker/audit-sinks.ts);
 * where it goes is the worker's `AuditSink`.
 */
export interface AuditSinks extends Sinks {
  audit: { record(event: Recorded): void };
}

import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin, AuditSink } from './audit-sink';

/** The part of a logger the sink needs (the worker's pino logger, the SDK runtime's logger). */
export interface AuditLogger {
  info(message: string, meta: Record<string, unknown>): void;
}

/**
 * Writes each decision as one structured log line (`decision` with the event under
 * `audit`), so the worker's log holds the trail until a durable store keeps it.
 */
export class LoggingAuditSink implements AuditSink {
  constructor(private readonly logger: AuditLogger) {}

  record(event: Recorded, origin: AuditOrigin): void {
    this.logger.info('decision', { audit: event, ...origin });
  }
}

import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin, AuditSink } from './audit-sink';

/**
 * Appends each decision as one JSON line to a file (GANTRY_AUDIT_LOG): easy to ship,
 * grep and verify. Each line is written whole in one append, so a crash never leaves
 * half an event behind another; a write that fails is reported, not thrown.
 */
export class JsonLinesAuditSink implements AuditSink {
  constructor(
    readonly file: string,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  record(event: Recorded, origin: AuditOrigin): void {
    try {
      appendFileSync(this.file, `${JSON.stringify({ ...origin, ...event })}\n`);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

import { createHash } from 'node:crypto';
import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin } from './audit-sink';
import { canonicalJson } from './canonical-json';

/**
 * The key that makes an event unique in the store, so appending it again is a no-op.
 * A recorded event is numbered within its run: (workflow, run, seq). A refused update
 * leaves no history and is unnumbered (seq 0), so its key is derived from its content
 * (including its time): the same delivery twice is one entry, while two refusals of the
 * same message at different instants are two.
 */
export function auditKey(event: Recorded, origin: Pick<AuditOrigin, 'runId'>): string {
  if (event.seq > 0) return `${event.workflowId}#${origin.runId}#${event.seq}`;
  const digest = createHash('sha256').update(canonicalJson(event)).digest('hex').slice(0, 32);
  return `${event.workflowId}#${origin.runId}#refused-${digest}`;
}

/**
 * The release an event is about: a release's own events, its rollouts' (their IDs carry
 * the service and version), and an environment's turns and deploys (they name the release).
 */
export function releaseOf(event: Recorded): string | undefined {
  const id = event.workflowId;
  if (id.startsWith('release/')) return id;
  if (id.startsWith('rollout/')) {
    const [, service, , ...version] = id.split('/');
    return version.length > 0 ? `release/${service}/${version.join('/')}` : undefined;
  }
  if ('request' in event && event.request && typeof event.request === 'object') return event.request.workflowId;
  if ('release' in event && typeof event.release === 'string') return event.release;
  return undefined;
}

import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { applyEnvironmentEvent, environmentDetails, sameRequest } from '../policy/environment-projection';
import { placeEnvironment } from '../policy/placement';
import { type EnvironmentEvent, decisionsQuery } from '../shared/decision-events';
import { type EnvironmentInput, type EnvironmentRecord, deployedSignal, environmentQuery, placeUpdate } from '../shared/environment';
import { type LockRequest, lockGrantedSignal, lockReleaseSignal, lockRequestSignal, lockStateQuery } from '../shared/messages';
import { control } from './activity-stubs';
import { DecisionRecord } from './decision-record';
import { awaitAuditStored } from './audit-outbox';

/** How often a waiting queue checks that the holder still exists (it may have been terminated). */
const HOLDER_CHECK_INTERVAL = '30 seconds';
/** Recorded events the `decisions` query keeps (an entity lives for years; the audit sink has them all). */
const EVENTS_KEPT = 200;

/**
 * One service environment, for as long as the service exists: it knows what runs there
 * (and what ran before), grants releases their turn to deploy one at a time in arrival
 * order, and keeps its recent deploys. Started by the first release that asks for a turn
 * (signal-with-start); it never ends by itself, and continues as new when its history
 * grows long, carrying its record.
 */
export async function environmentWorkflow(input: EnvironmentInput): Promise<void> {
  const record: EnvironmentRecord = input.record ?? { service: input.service, environment: input.environment, queue: [], history: [] };
  let holderAskedAgain = false;
  const decisions = new DecisionRecord<EnvironmentEvent>(
    { apply: (event) => applyEnvironmentEvent(record, event), details: () => environmentDetails(record) },
    { lastSeq: input.lastSeq, keep: EVENTS_KEPT },
  );

  setHandler(lockRequestSignal, (request) => {
    if (record.holder && sameRequest(record.holder, request)) holderAskedAgain = true; // a retried request: grant again
    else if (!record.queue.some((q) => sameRequest(q, request))) decisions.record({ kind: 'turn_requested', request });
  });
  setHandler(lockReleaseSignal, (request) => {
    const known = (record.holder && sameRequest(record.holder, request)) || record.queue.some((q) => sameRequest(q, request));
    if (known) decisions.record({ kind: 'turn_returned', request });
  });
  setHandler(deployedSignal, (report) => {
    decisions.record({ kind: report.kind, version: report.version, digest: report.digest, url: report.url, release: report.release });
  });
  setHandler(environmentQuery, () => record);
  setHandler(placeUpdate, ({ host }) => {
    // The first claim is kept: an environment's instances and router live on one machine.
    const placed = placeEnvironment(record.host, host).host;
    if (placed !== record.host) decisions.record({ kind: 'placed', host: placed });
    return placed;
  });
  setHandler(decisionsQuery, () => decisions.events());
  // The lock's query, so `lockState` keeps answering for tools written against it.
  setHandler(lockStateQuery, () => ({ holder: record.holder, queue: [...record.queue] }));

  const grant = async (to: LockRequest): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(to.workflowId, to.runId).signal(lockGrantedSignal, { lockId: workflowInfo().workflowId });
      return true;
    } catch (err) {
      log.warn('release is gone before it was granted its turn', { release: to.workflowId, error: String(err) });
      return false;
    }
  };

  for (;;) {
    if (!record.holder && record.queue.length > 0) {
      const next = record.queue[0];
      decisions.record({ kind: (await grant(next)) ? 'turn_granted' : 'turn_dropped', request: next });
      continue;
    }
    if (record.holder && holderAskedAgain) {
      holderAskedAgain = false;
      const holder = record.holder;
      if (!(await grant(holder))) decisions.record({ kind: 'turn_dropped', request: holder });
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await awaitAuditStored(decisions.outbox); // the new run starts with an empty outbox
      await continueAsNew<typeof environmentWorkflow>({ service: input.service, environment: input.environment, record, lastSeq: decisions.lastSeq });
    }
    const current = record.holder;
    if (!current) {
      // Idle: wait for a request (or a long history), however long that takes.
      await condition(() => record.queue.length > 0 || workflowInfo().continueAsNewSuggested);
      continue;
    }
    if (record.queue.length === 0) {
      await condition(() => record.holder !== current || holderAskedAgain || record.queue.length > 0);
      continue;
    }
    const changed = await condition(() => record.holder !== current || holderAskedAgain, HOLDER_CHECK_INTERVAL);
    if (!changed && !(await control.isWorkflowOpen(current))) {
      log.warn('release ended without handing back its turn; passing it on', { release: current.workflowId });
      if (record.holder === current) decisions.record({ kind: 'turn_reclaimed', request: current });
    }
  }
}

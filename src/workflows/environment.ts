import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { type DeployEvent, type EnvironmentInput, type EnvironmentRecord, deployedSignal, environmentQuery, placeUpdate } from '../shared/environment';
import { placeEnvironment } from '../policy/placement';
import { type LockRequest, lockGrantedSignal, lockReleaseSignal, lockRequestSignal, lockStateQuery } from '../shared/messages';
import { control } from './activity-stubs';

/** How often a waiting queue checks that the holder still exists (it may have been terminated). */
const HOLDER_CHECK_INTERVAL = '30 seconds';
/** Deploys kept in the record; older ones are in the releases' own histories. */
const HISTORY_KEPT = 20;

const same = (a: LockRequest, b: LockRequest) => a.workflowId === b.workflowId && a.runId === b.runId;

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

  setHandler(lockRequestSignal, (request) => {
    if (record.holder && same(record.holder, request)) holderAskedAgain = true; // a retried request: grant again
    else if (!record.queue.some((q) => same(q, request))) record.queue.push(request);
  });
  setHandler(lockReleaseSignal, (request) => {
    if (record.holder && same(record.holder, request)) record.holder = undefined;
    else record.queue = record.queue.filter((q) => !same(q, request));
  });
  setHandler(deployedSignal, (report) => {
    const at = new Date().toISOString();
    if (record.current?.version !== report.version || record.current.digest !== report.digest) {
      if (record.current) record.previous = record.current;
      record.current = { version: report.version, digest: report.digest, url: report.url, since: at, release: report.release };
    }
    const event: DeployEvent = { at, kind: report.kind, version: report.version, release: report.release };
    record.history = [...record.history, event].slice(-HISTORY_KEPT);
  });
  setHandler(environmentQuery, () => record);
  setHandler(placeUpdate, ({ host }) => (record.host = placeEnvironment(record.host, host).host));
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
      const next = record.queue.shift()!;
      if (await grant(next)) record.holder = next;
      continue;
    }
    if (record.holder && holderAskedAgain) {
      holderAskedAgain = false;
      if (!(await grant(record.holder))) record.holder = undefined;
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof environmentWorkflow>({ service: input.service, environment: input.environment, record });
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
      if (record.holder === current) record.holder = undefined;
    }
  }
}

import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { type LockRequest, lockGrantedSignal, lockReleaseSignal, lockRequestSignal, lockStateQuery } from '../shared/messages';
import { control } from './activity-stubs';

export interface EnvironmentLockInput {
  lockId: string;
  holder?: LockRequest;
  queue?: LockRequest[];
}

/** How often a waiting queue checks that the holder still exists (it may have been terminated). */
const HOLDER_CHECK_INTERVAL = '30 seconds';

const same = (a: LockRequest, b: LockRequest) => a.workflowId === b.workflowId && a.runId === b.runId;

/**
 * One deploy at a time per service environment: releases queue here in arrival order
 * and are granted the environment one after another. The lock lives only while someone
 * holds or waits for it; it is started by the first request (signal-with-start).
 */
export async function environmentLockWorkflow(input: EnvironmentLockInput): Promise<void> {
  let holder = input.holder;
  const queue = [...(input.queue ?? [])];
  let holderAskedAgain = false;

  setHandler(lockRequestSignal, (request) => {
    if (holder && same(holder, request)) holderAskedAgain = true; // a retried request: grant again
    else if (!queue.some((q) => same(q, request))) queue.push(request);
  });
  setHandler(lockReleaseSignal, (request) => {
    if (holder && same(holder, request)) holder = undefined;
    else queue.splice(0, queue.length, ...queue.filter((q) => !same(q, request)));
  });
  setHandler(lockStateQuery, () => ({ holder, queue: [...queue] }));

  const grant = async (to: LockRequest): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(to.workflowId, to.runId).signal(lockGrantedSignal, { lockId: input.lockId });
      return true;
    } catch (err) {
      log.warn('lock holder is gone before it was granted', { holder: to.workflowId, error: String(err) });
      return false;
    }
  };

  for (;;) {
    if (!holder && queue.length > 0) {
      const next = queue.shift()!;
      if (await grant(next)) holder = next;
      continue;
    }
    if (holder && holderAskedAgain) {
      holderAskedAgain = false;
      if (!(await grant(holder))) holder = undefined;
      continue;
    }
    if (!holder) break;
    const current = holder;
    if (queue.length === 0) {
      await condition(() => holder !== current || holderAskedAgain || queue.length > 0);
      continue;
    }
    const changed = await condition(() => holder !== current || holderAskedAgain, HOLDER_CHECK_INTERVAL);
    if (!changed && !(await control.isWorkflowOpen(current))) {
      log.warn('lock holder ended without releasing the lock; passing it on', { holder: current.workflowId });
      if (holder === current) holder = undefined;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof environmentLockWorkflow>({ lockId: input.lockId, holder, queue });
    }
  }
  await condition(allHandlersFinished);
}

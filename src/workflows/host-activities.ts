import { ActivityFailure, TimeoutFailure } from '@temporalio/workflow';
import { type Placement, hostNotAnswering } from '../policy/placement';
import { type ActivityStubs, commands, control, delivery, measuring, migrating, routing, sourcing, stubsOn, watching } from './activity-stubs';

/**
 * Activities that touch one machine (an environment's instances and router, a release's
 * checkout) go to the task queue of the host that owns it. A host whose worker is gone
 * does not pick them up: each waits at most HOST_START_TIMEOUT to be started, then the
 * status says which host is not answering since when, and the same call is made again,
 * for as long as it takes; once the host's worker is back, the work continues there.
 */
export const HOST_START_TIMEOUT = '20 seconds';

/** How a workflow shows that a host does not answer, and that it answers again. */
export interface HostWatch {
  unanswered(text: string): void;
  answered(): void;
}

/** The shared-queue stubs: workflows recorded before hosts existed, and tests on one queue, use these. */
const SHARED: ActivityStubs = { commands, delivery, sourcing, control, routing, measuring, watching, migrating };

/** Whether an activity failed because no worker started it in time (its host is gone). */
export function notPickedUp(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/**
 * Stubs for the machine `placement` names, each call repeated while the host does not
 * answer (reported through `watch`); without a placement (an older history), the shared
 * stubs as they were, so its replay schedules exactly what it recorded.
 */
export function activitiesOn(placement: Placement | undefined, watch: HostWatch): ActivityStubs {
  if (!placement) return SHARED;
  const raw = stubsOn(placement.taskQueue, HOST_START_TIMEOUT);
  const guard = <T extends object>(group: T): T =>
    new Proxy(group, {
      get: (target, name) => {
        const call = (target as Record<string | symbol, (...args: unknown[]) => Promise<unknown>>)[name];
        return (...args: unknown[]) => untilAnswered(placement, watch, String(name), () => call(...args));
      },
    });
  return {
    commands: guard(raw.commands),
    delivery: guard(raw.delivery),
    sourcing: guard(raw.sourcing),
    control: guard(raw.control),
    routing: guard(raw.routing),
    measuring: guard(raw.measuring),
    watching: guard(raw.watching),
    migrating: guard(raw.migrating),
  };
}

/**
 * The same stubs without repeating: a call its host does not pick up fails after
 * HOST_START_TIMEOUT. For work that must not hold a release back when its host is gone
 * for good (removing a checkout: a leftover folder costs disk, not correctness).
 */
export function activitiesOnce(placement: Placement | undefined): ActivityStubs {
  return placement ? stubsOn(placement.taskQueue, HOST_START_TIMEOUT) : SHARED;
}

async function untilAnswered<T>(placement: Placement, watch: HostWatch, activity: string, call: () => Promise<T>): Promise<T> {
  const askedAt = new Date().toISOString();
  let unanswered = false;
  for (;;) {
    try {
      const result = await call();
      if (unanswered) watch.answered();
      return result;
    } catch (err) {
      if (!notPickedUp(err)) {
        if (unanswered) watch.answered();
        throw err;
      }
      unanswered = true;
      watch.unanswered(hostNotAnswering(placement, askedAt, `${activity} waits for it`));
    }
  }
}

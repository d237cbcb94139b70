import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';

/** 06:00 UTC on the first day of each quarter: the quarter that just ended is reviewed. */
export const DEFAULT_REVIEW_CRON = '0 6 1 1,4,7,10 *';

export const reviewScheduleId = (taskQueue: string) => `quarterly-review@${taskQueue}`;

export interface ReviewScheduleView {
  id: string;
  cron: string;
  paused: boolean;
  note?: string;
  next: string[];
  recent: { scheduledAt: string; workflowId: string; runId: string }[];
}

/**
 * Creates the Schedule that starts `quarterlyReviewWorkflow` (when it exists: enables it
 * again, or replaces it when the cron differs): one per task queue, so each Gantry installation on a namespace has its own.
 * Overlapping runs are skipped (a review still running is not started twice).
 */
export async function enableReviewSchedule(client: Client, taskQueue: string, cron: string = DEFAULT_REVIEW_CRON): Promise<ReviewScheduleView> {
  const scheduleId = reviewScheduleId(taskQueue);
  const create = () =>
    client.schedule.create({
      scheduleId,
      spec: { cronExpressions: [cron] },
      action: { type: 'startWorkflow', workflowType: 'quarterlyReviewWorkflow', taskQueue, args: [{}], workflowId: `quarterly-review/${taskQueue}` },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      // The server keeps a cron as calendars; the memo keeps it as it was written, to show it.
      memo: { cron },
    });
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const existing = await describeReviewSchedule(client, taskQueue);
    const handle = client.schedule.getHandle(scheduleId);
    if (existing?.cron === cron) {
      await handle.unpause('enabled again with gantry review schedule --enable');
    } else {
      // A memo cannot be updated: a new cron is a new Schedule (its list of recent runs starts again).
      await handle.delete();
      await create();
    }
  }
  return (await describeReviewSchedule(client, taskQueue))!;
}

/** The Schedule as it stands; undefined when it was never enabled. */
export async function describeReviewSchedule(client: Client, taskQueue: string): Promise<ReviewScheduleView | undefined> {
  const id = reviewScheduleId(taskQueue);
  try {
    const d = await client.schedule.getHandle(id).describe();
    return {
      id,
      cron: typeof d.memo?.cron === 'string' ? d.memo.cron : '(set outside gantry)',
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      next: d.info.nextActionTimes.slice(0, 4).map((t) => t.toISOString()),
      recent: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId })),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Pauses it (nothing starts until it is enabled again); false when there is none. */
export async function disableReviewSchedule(client: Client, taskQueue: string, note: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(reviewScheduleId(taskQueue)).pause(note);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** Runs the review now, as the Schedule would; false when there is no Schedule. */
export async function triggerReviewSchedule(client: Client, taskQueue: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(reviewScheduleId(taskQueue)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

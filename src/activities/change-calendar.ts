import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  type CalendarInForce,
  type CalendarView,
  type CalendarWatcher,
  type DeclaredFreeze,
  calendarQuery,
  changeCalendarWorkflowId,
  watchCalendarSignal,
} from '../shared/change-calendar';

const NEVER_USED: CalendarView = { active: [], ended: [] };
const inForce = (view: CalendarView): CalendarInForce => ({ freezes: view.active, quarantines: view.quarantined ?? [] });

/** What a release needs of the change calendar (a workflow can neither query another nor signal-with-start it). */
export function createChangeCalendarActivities(client: Client) {
  const calendarId = () => changeCalendarWorkflowId(Context.current().info.taskQueue);
  /** The calendar as it stands; empty when nobody ever used it. */
  const read = async (): Promise<CalendarView> => {
    try {
      return await client.workflow.getHandle(calendarId()).query(calendarQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return NEVER_USED;
      throw err;
    }
  };
  /**
   * Asks the calendar to tell `watcher` when it next changes (starting it if need be),
   * then reads it: a change after this read is sure to be told.
   */
  const watchThenRead = async (watcher: CalendarWatcher): Promise<CalendarView> => {
    const { taskQueue } = Context.current().info;
    const handle = await client.workflow.signalWithStart('changeCalendarWorkflow', {
      workflowId: calendarId(),
      taskQueue,
      args: [{}],
      signal: watchCalendarSignal,
      signalArgs: [watcher],
      staticSummary: 'Change calendar: the freezes declared now',
    });
    return handle.query(calendarQuery);
  };
  return {
    /** The freezes in force now (what releases recorded before quarantines existed ask). */
    async readChangeCalendar(): Promise<DeclaredFreeze[]> {
      return (await read()).active;
    },
    async watchChangeCalendar(watcher: CalendarWatcher): Promise<DeclaredFreeze[]> {
      return (await watchThenRead(watcher)).active;
    },
    /** The freezes in force and the versions in quarantine now. */
    async readCalendarInForce(): Promise<CalendarInForce> {
      return inForce(await read());
    },
    async watchCalendarInForce(watcher: CalendarWatcher): Promise<CalendarInForce> {
      return inForce(await watchThenRead(watcher));
    },
  };
}

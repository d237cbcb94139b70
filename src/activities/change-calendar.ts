import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type CalendarWatcher, type DeclaredFreeze, calendarQuery, changeCalendarWorkflowId, watchCalendarSignal } from '../shared/change-calendar';

/** What a release needs of the change calendar (a workflow can neither query another nor signal-with-start it). */
export function createChangeCalendarActivities(client: Client) {
  const calendarId = () => changeCalendarWorkflowId(Context.current().info.taskQueue);
  return {
    /** The freezes in force now; none when nobody ever declared one. */
    async readChangeCalendar(): Promise<DeclaredFreeze[]> {
      try {
        return (await client.workflow.getHandle(calendarId()).query(calendarQuery)).active;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    },
    /**
     * Asks the calendar to tell `watcher` when it next changes (starting it if need be),
     * then reads it: a change after this read is sure to be told.
     */
    async watchChangeCalendar(watcher: CalendarWatcher): Promise<DeclaredFreeze[]> {
      const { taskQueue } = Context.current().info;
      const handle = await client.workflow.signalWithStart('changeCalendarWorkflow', {
        workflowId: calendarId(),
        taskQueue,
        args: [{}],
        signal: watchCalendarSignal,
        signalArgs: [watcher],
        staticSummary: 'Change calendar: the freezes declared now',
      });
      return (await handle.query(calendarQuery)).active;
    },
  };
}

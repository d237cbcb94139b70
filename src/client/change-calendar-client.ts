import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import {
  type CalendarView,
  type DeclareFreezeAnswer,
  type DeclareFreezeRequest,
  type DeclaredFreeze,
  type EndFreezeRequest,
  calendarQuery,
  changeCalendarWorkflowId,
  declareFreezeUpdate,
  endFreezeUpdate,
} from '../shared/change-calendar';
import type { changeCalendarWorkflow } from '../workflows/change-calendar';

/** Declares a freeze in the change calendar of `taskQueue`, starting the calendar if it is the first. */
export async function declareFreeze(client: Client, taskQueue: string, request: DeclareFreezeRequest): Promise<DeclareFreezeAnswer> {
  const start = new WithStartWorkflowOperation<typeof changeCalendarWorkflow>('changeCalendarWorkflow', {
    workflowId: changeCalendarWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Change calendar: the freezes declared now',
  });
  return client.workflow.executeUpdateWithStart(declareFreezeUpdate, { args: [request], startWorkflowOperation: start });
}

export async function endFreeze(client: Client, taskQueue: string, request: EndFreezeRequest): Promise<DeclaredFreeze> {
  return client.workflow.getHandle(changeCalendarWorkflowId(taskQueue)).executeUpdate(endFreezeUpdate, { args: [request] });
}

/** The calendar as it stands; empty when nobody ever declared a freeze. */
export async function readCalendar(client: Client, taskQueue: string): Promise<CalendarView> {
  try {
    return await client.workflow.getHandle(changeCalendarWorkflowId(taskQueue)).query(calendarQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { active: [], ended: [] };
    throw err;
  }
}

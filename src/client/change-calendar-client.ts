import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import {
  type CalendarView,
  type DeclareFreezeAnswer,
  type DeclareFreezeRequest,
  type DeclaredFreeze,
  type EndFreezeRequest,
  type LiftQuarantineRequest,
  type Quarantine,
  type QuarantineRequest,
  calendarQuery,
  changeCalendarWorkflowId,
  declareFreezeUpdate,
  endFreezeUpdate,
  liftQuarantineUpdate,
  quarantineUpdate,
} from '../shared/change-calendar';
import type { changeCalendarWorkflow } from '../workflows/change-calendar';

/** Declares a freeze in the change calendar of `taskQueue`, starting the calendar if it is the first. */
export async function declareFreeze(client: Client, taskQueue: string, request: DeclareFreezeRequest): Promise<DeclareFreezeAnswer> {
  return client.workflow.executeUpdateWithStart(declareFreezeUpdate, { args: [request], startWorkflowOperation: startCalendar(taskQueue) });
}

/** Quarantines a version in the change calendar of `taskQueue`, starting the calendar if it is the first use. */
export async function quarantineVersion(client: Client, taskQueue: string, request: QuarantineRequest): Promise<Quarantine> {
  return client.workflow.executeUpdateWithStart(quarantineUpdate, { args: [request], startWorkflowOperation: startCalendar(taskQueue) });
}

/** Lifts a quarantine; a calendar never used has none to lift (the validator says so, as for any version not in quarantine). */
export async function liftQuarantine(client: Client, taskQueue: string, request: LiftQuarantineRequest): Promise<Quarantine> {
  return client.workflow.executeUpdateWithStart(liftQuarantineUpdate, { args: [request], startWorkflowOperation: startCalendar(taskQueue) });
}

function startCalendar(taskQueue: string): WithStartWorkflowOperation<typeof changeCalendarWorkflow> {
  return new WithStartWorkflowOperation<typeof changeCalendarWorkflow>('changeCalendarWorkflow', {
    workflowId: changeCalendarWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Change calendar: the freezes declared now',
  });
}

export async function endFreeze(client: Client, taskQueue: string, request: EndFreezeRequest): Promise<DeclaredFreeze> {
  return client.workflow.getHandle(changeCalendarWorkflowId(taskQueue)).executeUpdate(endFreezeUpdate, { args: [request] });
}

/** The calendar as it stands; empty when nobody ever declared a freeze or quarantined a version. */
export async function readCalendar(client: Client, taskQueue: string): Promise<CalendarView> {
  try {
    return await client.workflow.getHandle(changeCalendarWorkflowId(taskQueue)).query(calendarQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { active: [], ended: [], quarantined: [], lifted: [] };
    throw err;
  }
}

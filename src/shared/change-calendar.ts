import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeclaredFreezeRule } from '../policy/change-window';
import { DEFAULT_TASK_QUEUE } from './ids';

/**
 * The change calendar: one durable entity per installation (`change-calendar`, suffixed
 * `@<task queue>` off the default queue) holding the freezes people declare now, during
 * an incident, beside the ones the catalogue plans, and the versions in quarantine.
 * Releases consult it at every gate.
 * Plain data, shared by the workflow, the activities and the CLI.
 */

export interface DeclaredFreeze {
  /** `F1`, `F2`, … in the order they were declared. */
  id: string;
  reason: string;
  by: string;
  /** Only these services / environments (every one when absent). */
  services?: string[];
  environments?: string[];
  /** ISO 8601 */
  declaredAt: string;
  /** ISO 8601: when it lifts by itself; absent: until someone ends it. */
  until?: string;
  ended?: { at: string; by: string; reason?: string };
}

export interface DeclareFreezeRequest {
  by: string;
  reason: string;
  services?: string[];
  environments?: string[];
  /** ISO 8601 with a zone. */
  until?: string;
}

export interface DeclareFreezeAnswer {
  freeze: DeclaredFreeze;
  /** Active freezes covering some of the same services and environments (allowed; said so). */
  overlaps: DeclaredFreeze[];
}

export interface EndFreezeRequest {
  id: string;
  by: string;
  reason?: string;
}

/** A version stopped from entering any environment of its service until someone lifts the quarantine. */
export interface Quarantine {
  service: string;
  version: string;
  reason: string;
  by: string;
  /** ISO 8601 */
  at: string;
  lifted?: { at: string; by: string; reason?: string };
}

export interface QuarantineRequest {
  service: string;
  version: string;
  by: string;
  reason: string;
}

export interface LiftQuarantineRequest {
  service: string;
  version: string;
  by: string;
  reason?: string;
}

export interface CalendarView {
  /** The freezes in force now, oldest first. */
  active: DeclaredFreeze[];
  /** Freezes that ended, most recent last (the last 20). */
  ended: DeclaredFreeze[];
  /** Versions in quarantine now, oldest first (absent in calendars recorded before quarantines existed). */
  quarantined?: Quarantine[];
  /** Quarantines lifted, most recent last (the last 20). */
  lifted?: Quarantine[];
}

/** What holds releases now: the freezes in force and the versions in quarantine. */
export interface CalendarInForce {
  freezes: DeclaredFreeze[];
  quarantines: Quarantine[];
}

export interface CalendarInput {
  /** What continue-as-new carries over. */
  carried?: { view: CalendarView; nextId: number; lastSeq: number; watchers: CalendarWatcher[] };
}

/** A workflow asking to be told (once) when the calendar changes. */
export interface CalendarWatcher {
  workflowId: string;
  runId: string;
}

export const declareFreezeUpdate = defineUpdate<DeclareFreezeAnswer, [DeclareFreezeRequest]>('declareFreeze');
export const endFreezeUpdate = defineUpdate<DeclaredFreeze, [EndFreezeRequest]>('endFreeze');
export const calendarQuery = defineQuery<CalendarView>('calendar');
/** Quarantines a version: refused (with the reason) when it is already, or the request is incomplete. */
export const quarantineUpdate = defineUpdate<Quarantine, [QuarantineRequest]>('quarantine');
/** Lifts a quarantine: refused (with the reason) when the version is not in quarantine. */
export const liftQuarantineUpdate = defineUpdate<Quarantine, [LiftQuarantineRequest]>('liftQuarantine');
export const watchCalendarSignal = defineSignal<[CalendarWatcher]>('watchCalendar');
/** Sent to each watcher when a freeze is declared or ends, or a quarantine begins or is lifted. */
export const calendarChangedSignal = defineSignal<[]>('calendarChanged');

export function changeCalendarWorkflowId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? 'change-calendar' : `change-calendar@${taskQueue}`;
}

/** The freezes in force as the change decision reads them (their ends as instants). */
export function declaredRules(freezes: DeclaredFreeze[]): DeclaredFreezeRule[] {
  return freezes.map(({ id, reason, by, services, environments, until }) => ({
    id,
    reason,
    by,
    ...(services ? { services } : {}),
    ...(environments ? { environments } : {}),
    ...(until ? { untilMs: Date.parse(until) } : {}),
  }));
}

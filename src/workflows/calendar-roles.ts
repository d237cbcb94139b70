import { ActivityFailure, ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';
import { type CalendarAction, type CalendarSubject, checkCalendarRole } from '../policy/calendar-authority';

/** The catalogue is the worker's and read quickly; a few tries, then the request is refused rather than left hanging. */
const catalogue = proxyActivities<Pick<GantryActivities, 'calendarAuthority'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/**
 * Why `who` may not make this change to the calendar, or undefined when they may: the
 * roles are read from the platform's catalogue as it is now, then judged by
 * `checkCalendarRole`. Calendars recorded before it checked roles (patch
 * 'calendar-roles') replay without the read.
 */
export async function calendarRefusal(action: CalendarAction, who: string, subject: CalendarSubject): Promise<string | undefined> {
  if (!patched('calendar-roles')) return undefined;
  try {
    const authority = await catalogue.calendarAuthority({ services: subject.services });
    const verdict = checkCalendarRole(action, who, subject, authority);
    return verdict.ok ? undefined : verdict.reason;
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : (err as Error);
    return `${who}'s role could not be checked, so nothing changed: ${cause.message}`;
  }
}

/** Refuses an update from its handler: the caller gets the reason; the workflow goes on. */
export function refusal(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'CalendarRefused', message, nonRetryable: true });
}

import type { CalendarInForce, CalendarWatcher } from '../shared/change-calendar';
import { control } from './activity-stubs';

/**
 * What holds releases in the change calendar now: its freezes and, since quarantines
 * existed, its quarantines. Workflows recorded before (`withQuarantines` false) made the
 * activity calls that return only the freezes, and replay makes them again.
 */

export const NOTHING_IN_FORCE: CalendarInForce = { freezes: [], quarantines: [] };

export async function readCalendarInForce(withQuarantines: boolean): Promise<CalendarInForce> {
  if (withQuarantines) return control.readCalendarInForce();
  return { freezes: await control.readChangeCalendar(), quarantines: [] };
}

/** Asks to be told of the calendar's next change, then reads it (see watchChangeCalendar). */
export async function watchCalendarInForce(withQuarantines: boolean, watcher: CalendarWatcher): Promise<CalendarInForce> {
  if (withQuarantines) return control.watchCalendarInForce(watcher);
  return { freezes: await control.watchChangeCalendar(watcher), quarantines: [] };
}

/**
 * Wall-clock time in an IANA time zone, from and to instants (epoch milliseconds),
 * without Date: the zone's rules come from Intl (the same ICU data on every worker of
 * one Node version), and calendar arithmetic is done on day numbers.
 *
 * Two nights a year need a rule. A wall time that does not exist (02:30 on the night the
 * clocks jump from 02:00 to 03:00) is the moment the clocks jump (03:00): the earliest
 * instant whose wall time is at or after the one asked for. A wall time that happens
 * twice (02:30 on the night the clocks go back) is its first occurrence.
 */

export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
}

export interface LocalTime extends LocalDateTime {
  /** 0 = Monday … 6 = Sunday */
  weekday: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function dayNumber({ year, month, day }: LocalDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number (inverse of `dayNumber`). */
export function dateOfDay(days: number): LocalDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOfDay(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return dateOfDay(dayNumber(date) + days);
}

/** A wall time as if it were UTC: comparable, and the difference of two is their distance in wall-clock time. */
function naive(t: LocalDateTime): number {
  return dayNumber(t) * DAY + t.hour * 3_600_000 + t.minute * MINUTE;
}

/** The wall time in `timeZone` at `instantMs` (to the minute). */
export function localTime(instantMs: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instantMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const date = { year: parts.year, month: parts.month, day: parts.day };
  return { ...date, hour: parts.hour, minute: parts.minute, weekday: weekdayOfDay(dayNumber(date)) };
}

/** How far `timeZone` is ahead of UTC at `instantMs`, in ms (whole minutes). */
function offsetAt(instantMs: number, timeZone: string): number {
  const floored = Math.floor(instantMs / MINUTE) * MINUTE;
  return naive(localTime(floored, timeZone)) - floored;
}

/** The instant a wall time in `timeZone` happens (see the rules for the two nights a year above). */
export function instantOf(wall: LocalDateTime, timeZone: string): number {
  const wanted = naive(wall);
  // The offsets in force around that wall time: the instant is wanted − one of them.
  const candidates = [...new Set([offsetAt(wanted - DAY, timeZone), offsetAt(wanted, timeZone), offsetAt(wanted + DAY, timeZone)])]
    .map((offset) => wanted - offset)
    .sort((a, b) => a - b);
  for (const t of candidates) {
    if (naive(localTime(t, timeZone)) === wanted) return t;
  }
  // A wall time the clocks skip: the first instant whose wall time is at or after it.
  let low = candidates[0];
  let high = candidates[candidates.length - 1];
  while (high - low > MINUTE) {
    const mid = Math.floor((low + high) / 2 / MINUTE) * MINUTE;
    if (naive(localTime(mid, timeZone)) >= wanted) high = mid;
    else low = mid;
  }
  return high;
}

/** `2026-12-25` → its date; undefined when it is not a real date written that way. */
export function parseLocalDate(text: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const back = dateOfDay(dayNumber(date));
  return back.year === date.year && back.month === date.month && back.day === date.day ? date : undefined;
}

/** `2026-11-23T00:00` (or with seconds) → its wall time; undefined when it is not one. */
export function parseLocalDateTime(text: string): LocalDateTime | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::00)?$/.exec(text);
  if (!m) return undefined;
  const date = parseLocalDate(m[1]);
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (!date || hour > 23 || minute > 59) return undefined;
  return { ...date, hour, minute };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** How a person reads an instant in a zone: `Mon 2026-12-07 06:00 Europe/Berlin`. */
export function describeInstant(instantMs: number, timeZone: string): string {
  const t = localTime(instantMs, timeZone);
  return `${WEEKDAY_NAMES[t.weekday]} ${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)} ${timeZone}`;
}

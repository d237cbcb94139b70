import { type LocalDate, type LocalDateTime, dateOfDay, dayNumber, parseLocalDate, weekdayOfDay } from './zoned-time';

/**
 * Recurrence rules as RFC 5545 writes them (the RRULE of a calendar event), the part a
 * change calendar needs: FREQ (YEARLY, MONTHLY, WEEKLY, DAILY), INTERVAL, COUNT, UNTIL,
 * BYMONTH, BYMONTHDAY (negative counts from the month's end) and BYDAY (with an ordinal
 * such as 4TH or -1MO within the month, or within the year when no BYMONTH is given).
 * Occurrences are local dates: the freeze gives them their time and zone.
 */

const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY'] as const;
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const SUPPORTED = ['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYMONTH', 'BYMONTHDAY', 'BYDAY'];

export interface Recurrence {
  freq: (typeof FREQS)[number];
  interval: number;
  count?: number;
  /** Last day an occurrence may fall on. */
  until?: LocalDate;
  byMonth?: number[];
  byMonthDay?: number[];
  byDay?: { weekday: number; ordinal?: number }[];
}

/** Parses an RRULE (with or without the `RRULE:` prefix); throws an Error saying what is wrong and how to write it. */
export function parseRecurrence(text: string): Recurrence {
  const body = text.trim().replace(/^RRULE:/i, '');
  const fields = new Map<string, string>();
  for (const part of body.split(';').filter(Boolean)) {
    const [key, value, extra] = part.split('=');
    if (!key || value === undefined || extra !== undefined) throw new Error(`"${part}" is not KEY=VALUE; write e.g. FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=24`);
    const name = key.toUpperCase();
    if (!SUPPORTED.includes(name)) throw new Error(`${name} is not supported; use ${SUPPORTED.join(', ')}`);
    if (fields.has(name)) throw new Error(`${name} is given twice`);
    fields.set(name, value.toUpperCase());
  }
  const freq = fields.get('FREQ');
  if (!freq) throw new Error('FREQ is missing; start with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY');
  if (!(FREQS as readonly string[]).includes(freq)) throw new Error(`FREQ=${freq} is not supported; use ${FREQS.join(', ')}`);
  const numbers = (name: string, min: number, max: number, allowNegative = false): number[] | undefined => {
    const value = fields.get(name);
    if (value === undefined) return undefined;
    return value.split(',').map((item) => {
      const n = Number(item);
      if (!/^[+-]?\d+$/.test(item) || Math.abs(n) < min || Math.abs(n) > max || (!allowNegative && n < 0)) {
        throw new Error(`${name}=${value}: "${item}" is not ${allowNegative ? `±${min}–${max}` : `${min}–${max}`}`);
      }
      return n;
    });
  };
  const rule: Recurrence = { freq: freq as Recurrence['freq'], interval: numbers('INTERVAL', 1, 1000)?.[0] ?? 1 };
  const count = numbers('COUNT', 1, 100_000)?.[0];
  if (count !== undefined) rule.count = count;
  const until = fields.get('UNTIL');
  if (until !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(until);
    const date = m ? parseLocalDate(`${m[1]}-${m[2]}-${m[3]}`) : undefined;
    if (!date) throw new Error(`UNTIL=${until} is not a date; write it as 20271231`);
    rule.until = date;
  }
  if (rule.count !== undefined && rule.until) throw new Error('COUNT and UNTIL cannot both be given');
  rule.byMonth = numbers('BYMONTH', 1, 12);
  rule.byMonthDay = numbers('BYMONTHDAY', 1, 31, true);
  const byDay = fields.get('BYDAY');
  if (byDay !== undefined) {
    rule.byDay = byDay.split(',').map((item) => {
      const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
      const ordinal = m?.[1] === undefined ? undefined : Number(m[1]);
      if (!m || ordinal === 0 || (ordinal !== undefined && Math.abs(ordinal) > 53)) throw new Error(`BYDAY=${byDay}: "${item}" is not a weekday (MO…SU), optionally with an ordinal such as 4TH or -1MO`);
      return { weekday: DAYS.indexOf(m[2]), ...(ordinal === undefined ? {} : { ordinal }) };
    });
  }
  return rule;
}

const daysInMonth = (year: number, month: number) => dayNumber(month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 }) - dayNumber({ year, month, day: 1 });

/** Whether `day` (a day number) is an occurrence, leaving COUNT and UNTIL aside. */
function matches(rule: Recurrence, start: LocalDate, startDay: number, day: number): boolean {
  if (day < startDay) return false;
  const d = dateOfDay(day);
  const weekday = weekdayOfDay(day);
  switch (rule.freq) {
    case 'YEARLY':
      if ((d.year - start.year) % rule.interval !== 0) return false;
      break;
    case 'MONTHLY':
      if ((d.year * 12 + d.month - (start.year * 12 + start.month)) % rule.interval !== 0) return false;
      break;
    case 'WEEKLY':
      if (Math.floor((day - weekday - (startDay - weekdayOfDay(startDay))) / 7) % rule.interval !== 0) return false;
      break;
    case 'DAILY':
      if ((day - startDay) % rule.interval !== 0) return false;
      break;
  }
  // YEARLY with nothing to say which month keeps the start's; BYDAY or BYMONTHDAY alone span the year.
  const month = rule.byMonth ?? (rule.freq === 'YEARLY' && !rule.byDay && !rule.byMonthDay ? [start.month] : undefined);
  if (month && !month.includes(d.month)) return false;
  const length = daysInMonth(d.year, d.month);
  if (rule.byMonthDay && !rule.byMonthDay.some((n) => (n > 0 ? n : length + 1 + n) === d.day)) return false;
  if (rule.byDay) {
    const inYear = rule.freq === 'YEARLY' && !rule.byMonth;
    const periodStart = inYear ? dayNumber({ year: d.year, month: 1, day: 1 }) : dayNumber({ year: d.year, month: d.month, day: 1 });
    const periodLength = inYear ? dayNumber({ year: d.year + 1, month: 1, day: 1 }) - periodStart : length;
    const nth = Math.floor((day - periodStart) / 7) + 1;
    const nthFromEnd = -(Math.floor((periodStart + periodLength - 1 - day) / 7) + 1);
    const ok = rule.byDay.some((b) => b.weekday === weekday && (b.ordinal === undefined || b.ordinal === nth || b.ordinal === nthFromEnd));
    if (!ok) return false;
  } else if (!rule.byMonthDay) {
    // Nothing narrows the day: the rule repeats the start's day of the month or week.
    if (rule.freq === 'YEARLY' || rule.freq === 'MONTHLY') {
      if (d.day !== start.day) return false;
    } else if (rule.freq === 'WEEKLY' && weekday !== weekdayOfDay(startDay)) return false;
  }
  return true;
}

/**
 * The occurrences (local dates) of `rule` starting at `start` that fall on or between
 * `from` and `to` (day numbers), oldest first.
 */
export function occurrencesBetween(rule: Recurrence, start: LocalDateTime, from: number, to: number): LocalDate[] {
  const startDay = dayNumber(start);
  const last = Math.min(to, rule.until ? dayNumber(rule.until) : to);
  const found: LocalDate[] = [];
  // COUNT counts from the start, so the days before `from` must be walked through too.
  let seen = 0;
  for (let day = rule.count !== undefined ? startDay : Math.max(from, startDay); day <= last; day++) {
    if (!matches(rule, start, startDay, day)) continue;
    seen += 1;
    if (rule.count !== undefined && seen > rule.count) break;
    if (day >= from) found.push(dateOfDay(day));
  }
  return found;
}

/** Whether the rule occurs at all within ten years of its start (one that never does is a mistake). */
export function occursAtAll(rule: Recurrence, start: LocalDateTime): boolean {
  const startDay = dayNumber(start);
  for (let day = startDay; day <= startDay + 3660; day++) {
    if (rule.until && day > dayNumber(rule.until)) return false;
    if (matches(rule, start, startDay, day)) return true;
  }
  return false;
}

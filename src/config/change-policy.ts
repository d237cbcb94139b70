import { z } from 'zod';
import { RISKS, type WeekTime } from '../policy/change-window';
import { occursAtAll, parseRecurrence } from '../policy/recurrence';
import { dayNumber, isTimeZone, parseLocalDate, parseLocalDateTime } from '../policy/zoned-time';
import { durationField } from './duration';

/**
 * `changePolicy:` in the platform's catalogue: when changes may go out. It may be given
 * for the whole catalogue, a service and an environment; a field given lower down
 * replaces the one above, except freezes, which add up (a service cannot leave a
 * company-wide freeze). Change management is on for an environment as soon as any of
 * the three gives a changePolicy (`changePolicy: {}` takes every default).
 */

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const weekTime = z
  .string()
  .describe('A day of the week and a time of day in the policy\'s zone, e.g. "fri 12:00".')
  .transform((text, ctx): WeekTime => {
    const m = /^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$/i.exec(text.trim());
    const hour = Number(m?.[2]);
    const minute = Number(m?.[3]);
    if (!m || hour > 23 || minute > 59) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a day and a time; write e.g. "fri 12:00" (mon … sun, 00:00 … 23:59)` });
      return z.NEVER;
    }
    return { weekday: WEEKDAYS.indexOf(m[1].toLowerCase()), minute: hour * 60 + minute };
  });

const localDate = z
  .string()
  .describe('A date, e.g. 2026-12-25.')
  .transform((text, ctx) => {
    const date = parseLocalDate(text);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-25` });
      return z.NEVER;
    }
    return date;
  });

const localDateTime = z
  .string()
  .describe("A date and time in the policy's zone, e.g. 2026-11-23T00:00.")
  .transform((text, ctx) => {
    const at = parseLocalDateTime(text);
    if (!at) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a date and time; write it as YYYY-MM-DDTHH:MM, e.g. 2026-11-23T00:00` });
      return z.NEVER;
    }
    return at;
  });

const BlockedWindowSchema = z
  .strictObject({
    from: weekTime.describe('When the blocked window starts each week, e.g. "fri 12:00".'),
    to: weekTime.describe('When it ends, e.g. "mon 06:00" (it may run over the weekend into the next week).'),
  })
  .refine((w) => w.from.weekday !== w.to.weekday || w.from.minute !== w.to.minute, {
    message: 'from and to are the same moment, so the window would be empty or the whole week; to block a whole week use a freeze',
    path: ['to'],
  })
  .describe('A weekly window in which releases of the covered risks do not deploy.');

const FreezeSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a freeze name is lower-case letters, digits and -, e.g. black-friday'),
    reason: z.string().optional().describe('Why, as people will read it while they wait.'),
    starts: localDateTime.describe("When it starts (a recurring freeze: its first occurrence), in the policy's zone, e.g. 2026-11-23T00:00."),
    ends: localDateTime.optional().describe('When a one-off freeze ends.'),
    rule: z
      .string()
      .transform((text, ctx) => {
        try {
          return parseRecurrence(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `not a recurrence rule: ${(err as Error).message}` });
          return z.NEVER;
        }
      })
      .optional()
      .describe('An RFC 5545 recurrence rule for a freeze that comes back, e.g. FREQ=YEARLY;BYMONTH=11;BYDAY=4TH (the fourth Thursday of November).'),
    lasts: durationField('7d').optional().describe('How long each occurrence of a recurring freeze lasts, e.g. 7d.'),
    services: z.array(z.string()).min(1).optional().describe('Only these services (all when absent).'),
    environments: z.array(z.string()).min(1).optional().describe('Only these environments (all when absent).'),
  })
  .superRefine((freeze, ctx) => {
    if (freeze.rule) {
      if (freeze.ends) ctx.addIssue({ code: 'custom', path: ['ends'], message: 'a recurring freeze (rule) says how long each occurrence lasts with lasts, not ends' });
      if (freeze.lasts === undefined) ctx.addIssue({ code: 'custom', path: ['lasts'], message: 'a recurring freeze needs lasts, e.g. lasts: 7d' });
      if (!occursAtAll(freeze.rule, freeze.starts)) ctx.addIssue({ code: 'custom', path: ['rule'], message: 'the rule never occurs within ten years of starts; check BYMONTH, BYMONTHDAY and BYDAY' });
      return;
    }
    if (!freeze.ends) {
      ctx.addIssue({ code: 'custom', path: ['ends'], message: 'a freeze needs ends (a one-off freeze) or rule and lasts (a recurring one)' });
      return;
    }
    if (freeze.lasts !== undefined) ctx.addIssue({ code: 'custom', path: ['lasts'], message: 'lasts is for recurring freezes (with rule); a one-off freeze has ends' });
    const minutes = (t: typeof freeze.starts) => dayNumber(t) * 1440 + t.hour * 60 + t.minute;
    if (minutes(freeze.ends) <= minutes(freeze.starts)) ctx.addIssue({ code: 'custom', path: ['ends'], message: 'ends is not after starts; a freeze must end after it starts' });
  })
  .describe('A change freeze: only emergency releases deploy while it lasts.');

export const ChangePolicySchema = z
  .strictObject({
    timeZone: z
      .string()
      .superRefine((tz, ctx) => {
        if (!isTimeZone(tz)) ctx.addIssue({ code: 'custom', message: `"${tz}" is not an IANA time zone; write e.g. Europe/Berlin, America/New_York or UTC` });
      })
      .optional()
      .describe('IANA time zone the windows, holidays and freezes are written in (default UTC).'),
    blockedWindows: z.array(BlockedWindowSchema).optional().describe('Weekly windows with no deploys (default for production environments: fri 12:00 to mon 06:00; none elsewhere).'),
    holidays: z.array(localDate).optional().describe('Holidays: no deploys on the day or the day before.'),
    freezes: z.array(FreezeSchema).optional().describe('Change freezes, one-off or recurring; they add up across the catalogue, service and environment.'),
    risks: z.array(z.enum(RISKS)).min(1).optional().describe('The release risks blocked windows and holidays apply to (default medium and high; a release says --risk low).'),
    canaryMayFinish: z.boolean().optional().describe('Whether a canary that started may finish its ramp into a blocked window (default true).'),
    whenBlocked: z.enum(['wait', 'refuse']).optional().describe('What a blocked release does: wait until it may deploy (default), or be refused.'),
  })
  .describe('When changes may go out: deploy windows, holidays and change freezes.');

export type ChangePolicyConfig = z.output<typeof ChangePolicySchema>;


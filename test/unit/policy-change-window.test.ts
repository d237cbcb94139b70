import { ChangePolicySchema } from '../../src/config/change-policy';
import { effectiveChangePolicy } from '../../src/policy/effective-change-policy';
import { formatPath, validateCatalogue } from '../../src/config/validate-catalogue';
import { type ChangeDecision, type ChangeRequest, decideChange } from '../../src/policy/change-window';
import { occurrencesBetween, parseRecurrence } from '../../src/policy/recurrence';
import { dayNumber, describeInstant, instantOf } from '../../src/policy/zoned-time';

const at = (iso: string) => Date.parse(iso);
const production: ChangeRequest = { service: 'web', environment: 'production', risk: 'medium' };
const policyOf = (config: unknown, environment = 'production') => effectiveChangePolicy(ChangePolicySchema.parse(config), environment, undefined)!;
const when = (decision: ChangeDecision) => (decision.kind === 'wait' ? decision.until : decision.kind);

describe('wall time in a zone', () => {
  test.each([
    // A spring-forward night: 02:30 does not exist in Berlin on 2027-03-28; it is the moment the clocks jump, 03:00 CEST.
    [{ year: 2027, month: 3, day: 28, hour: 2, minute: 30 }, 'Europe/Berlin', '2027-03-28T01:00:00.000Z'],
    // The clocks go back on 2026-10-25: 02:30 happens twice; the first (CEST) is meant.
    [{ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin', '2026-10-25T00:30:00.000Z'],
    [{ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York', '2026-03-08T07:00:00.000Z'],
    [{ year: 2026, month: 12, day: 4, hour: 12, minute: 0 }, 'America/New_York', '2026-12-04T17:00:00.000Z'],
    [{ year: 2026, month: 12, day: 4, hour: 12, minute: 0 }, 'Asia/Kolkata', '2026-12-04T06:30:00.000Z'],
    [{ year: 2024, month: 2, day: 29, hour: 0, minute: 0 }, 'UTC', '2024-02-29T00:00:00.000Z'],
  ])('%j in %s is %s', (wall, zone, iso) => {
    expect(instantOf(wall, zone)).toBe(at(iso));
  });
});

describe('deploy windows', () => {
  const berlin = policyOf({ timeZone: 'Europe/Berlin' });

  test.each([
    ['Thu 2026-12-03 18:00 CET', '2026-12-03T17:00:00Z', 'allowed'],
    ['Fri 2026-12-04 11:59 CET', '2026-12-04T10:59:00Z', 'allowed'],
    ['Fri 2026-12-04 12:00 CET: the default production window opens', '2026-12-04T11:00:00Z', 'Mon 2026-12-07 06:00 Europe/Berlin'],
    ['Fri 2026-12-04 16:00 CET', '2026-12-04T15:00:00Z', 'Mon 2026-12-07 06:00 Europe/Berlin'],
    ['Sun 2026-12-06 23:00 CET', '2026-12-06T22:00:00Z', 'Mon 2026-12-07 06:00 Europe/Berlin'],
    ['Mon 2026-12-07 06:00 CET: it has closed', '2026-12-07T05:00:00Z', 'allowed'],
    // Fri 16:00 in Berlin is still Friday morning in New York, but the policy's zone is Berlin's.
    ['Fri 2026-12-04 15:30 UTC', '2026-12-04T15:30:00Z', 'Mon 2026-12-07 06:00 Europe/Berlin'],
  ])('%s', (_, instant, expected) => {
    expect(when(decideChange(berlin, production, at(instant)))).toBe(expected);
  });

  test('the window is about production by default: staging deploys on a Friday afternoon', () => {
    expect(decideChange(policyOf({ timeZone: 'Europe/Berlin' }, 'staging'), { ...production, environment: 'staging' }, at('2026-12-04T15:00:00Z')).kind).toBe('allowed');
    expect(when(decideChange(policyOf({}, 'production-eu'), { ...production, environment: 'production-eu' }, at('2026-12-04T15:00:00Z')))).toBe('Mon 2026-12-07 06:00 UTC');
  });

  test('a low-risk release passes the window; the policy says which risks it holds', () => {
    expect(decideChange(berlin, { ...production, risk: 'low' }, at('2026-12-04T15:00:00Z')).kind).toBe('allowed');
    expect(decideChange(policyOf({ timeZone: 'Europe/Berlin', risks: ['low', 'medium', 'high'] }), { ...production, risk: 'low' }, at('2026-12-04T15:00:00Z')).kind).toBe('wait');
  });

  test('a window that ends at 02:30 on a spring-forward night ends when the clocks jump to 03:00', () => {
    const policy = policyOf({ timeZone: 'Europe/Berlin', blockedWindows: [{ from: 'sat 20:00', to: 'sun 02:30' }] });
    const decision = decideChange(policy, production, at('2027-03-27T20:00:00Z'));
    expect(decision).toMatchObject({ kind: 'wait', untilMs: at('2027-03-28T01:00:00Z'), until: 'Sun 2027-03-28 03:00 Europe/Berlin' });
  });

  test('a Friday window in New York over the autumn clock change still ends Monday 06:00 local', () => {
    const policy = policyOf({ timeZone: 'America/New_York' });
    expect(decideChange(policy, production, at('2026-10-30T18:00:00Z'))).toMatchObject({ kind: 'wait', untilMs: at('2026-11-02T11:00:00Z') });
  });

  test('whenBlocked: refuse says when to start again instead of waiting', () => {
    const decision = decideChange(policyOf({ timeZone: 'Europe/Berlin', whenBlocked: 'refuse' }), production, at('2026-12-04T15:00:00Z'));
    expect(decision).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/blocked deploy window \(fri 12:00 to mon 06:00, Europe\/Berlin\).*start it again from Mon 2026-12-07 06:00/) });
  });

  test('windows that cover the whole week between them never open: refused, not a wait for ever', () => {
    const policy = policyOf({ blockedWindows: [{ from: 'mon 00:00', to: 'thu 00:00' }, { from: 'wed 00:00', to: 'mon 00:00' }] });
    expect(decideChange(policy, production, at('2026-12-04T15:00:00Z'))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/never opens/) });
  });
});

describe('holidays', () => {
  const policy = policyOf({ timeZone: 'Europe/Berlin', blockedWindows: [], holidays: ['2026-12-25', '2027-01-01'] });

  test.each([
    ['the day before a holiday', '2026-12-24T09:00:00Z', 'Sat 2026-12-26 00:00 Europe/Berlin'],
    ['the holiday itself, late', '2026-12-25T22:30:00Z', 'Sat 2026-12-26 00:00 Europe/Berlin'],
    ['two days before', '2026-12-23T09:00:00Z', 'allowed'],
    // 23:30 UTC on Dec 30 is already Dec 31 in Berlin: the day before New Year.
    ['New Year’s Eve in Berlin, still Dec 30 in UTC', '2026-12-30T23:30:00Z', 'Sat 2027-01-02 00:00 Europe/Berlin'],
  ])('%s', (_, instant, expected) => {
    expect(when(decideChange(policy, production, at(instant)))).toBe(expected);
  });

  test('a holiday right after the weekend window keeps the release waiting through both, and says each', () => {
    const both = policyOf({ timeZone: 'Europe/Berlin', holidays: ['2026-12-08'] });
    const decision = decideChange(both, production, at('2026-12-04T15:00:00Z'));
    expect(decision).toMatchObject({ kind: 'wait', until: 'Wed 2026-12-09 00:00 Europe/Berlin' });
    expect(decision.kind === 'wait' && decision.reasons).toEqual([expect.stringMatching(/blocked deploy window/), expect.stringMatching(/2026-12-08 is a holiday/)]);
  });
});

describe('change freezes', () => {
  test('a one-off freeze across a month boundary holds every risk (only an emergency passes)', () => {
    const policy = policyOf({ blockedWindows: [], freezes: [{ name: 'migration', reason: 'data centre move', starts: '2026-11-28T00:00', ends: '2026-12-03T00:00' }] });
    const low = { ...production, risk: 'low' as const };
    expect(decideChange(policy, low, at('2026-11-30T12:00:00Z'))).toMatchObject({ kind: 'wait', until: 'Thu 2026-12-03 00:00 UTC', reason: expect.stringMatching(/change freeze migration \(data centre move\)/) });
    expect(decideChange(policy, low, at('2026-12-03T00:00:00Z')).kind).toBe('allowed');
  });

  test('a recurring year-end freeze spans the year boundary, every year', () => {
    const policy = policyOf({ timeZone: 'Europe/Berlin', blockedWindows: [], freezes: [{ name: 'year-end', starts: '2026-12-20T00:00', rule: 'FREQ=YEARLY', lasts: '17d' }] });
    expect(decideChange(policy, production, at('2027-01-03T12:00:00Z'))).toMatchObject({ kind: 'wait', until: 'Wed 2027-01-06 00:00 Europe/Berlin' });
    expect(decideChange(policy, production, at('2027-12-31T12:00:00Z'))).toMatchObject({ kind: 'wait', until: 'Thu 2028-01-06 00:00 Europe/Berlin' });
    expect(decideChange(policy, production, at('2027-06-01T12:00:00Z')).kind).toBe('allowed');
  });

  test('Black Friday week: from the fourth Thursday of November, a week, only for the services and environments it names', () => {
    const policy = policyOf({ timeZone: 'America/New_York', blockedWindows: [], freezes: [{ name: 'black-friday', starts: '2026-11-26T00:00', rule: 'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', lasts: '7d', environments: ['production'] }] });
    // 2027's fourth Thursday of November is the 25th.
    expect(decideChange(policy, production, at('2027-11-27T15:00:00Z'))).toMatchObject({ kind: 'wait', until: 'Thu 2027-12-02 00:00 America/New_York' });
    expect(decideChange(policy, production, at('2027-11-24T15:00:00Z')).kind).toBe('allowed');
    expect(decideChange(policy, { ...production, environment: 'staging' }, at('2027-11-27T15:00:00Z')).kind).toBe('allowed');
  });
});

describe('recurrence rules', () => {
  const days = (rule: string, starts: string, from: string, to: string) => {
    const start = { year: Number(starts.slice(0, 4)), month: Number(starts.slice(5, 7)), day: Number(starts.slice(8, 10)), hour: 0, minute: 0 };
    const day = (s: string) => dayNumber({ year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)), day: Number(s.slice(8, 10)) });
    return occurrencesBetween(parseRecurrence(rule), start, day(from), day(to)).map((d) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`);
  };
  test.each([
    ['FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', '2026-01-01', '2026-01-01', '2028-12-31', ['2026-11-26', '2027-11-25', '2028-11-23']],
    ['FREQ=MONTHLY;BYMONTHDAY=-1', '2026-01-01', '2026-01-01', '2026-04-30', ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']],
    ['FREQ=MONTHLY;BYDAY=-1FR', '2026-01-01', '2026-01-01', '2026-03-31', ['2026-01-30', '2026-02-27', '2026-03-27']],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH', '2026-12-07', '2026-12-01', '2026-12-31', ['2026-12-07', '2026-12-10', '2026-12-21', '2026-12-24']],
    ['RRULE:FREQ=DAILY;COUNT=3', '2026-12-30', '2026-12-01', '2027-01-31', ['2026-12-30', '2026-12-31', '2027-01-01']],
    ['FREQ=YEARLY;UNTIL=20271231', '2026-12-20', '2026-01-01', '2029-12-31', ['2026-12-20', '2027-12-20']],
  ])('%s from %s', (rule, starts, from, to, expected) => {
    expect(days(rule, starts, from, to)).toEqual(expected);
  });
});

describe('change policy in the catalogue: bad input names the field and the fix', () => {
  const catalogue = (changePolicy: unknown) => ({
    version: 1,
    changePolicy,
    services: { web: { repository: './web', build: 'make', test: { unit: 'make test', lint: 'make lint' }, artifact: { include: ['dist'] }, run: { command: 'node server.js' } } },
  });
  const problems = (changePolicy: unknown) => {
    const result = validateCatalogue(catalogue(changePolicy));
    return result.success ? [] : result.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  };

  test.each([
    [{ timeZone: 'Europe/Berln' }, /^changePolicy\.timeZone: "Europe\/Berln" is not an IANA time zone; write e\.g\. Europe\/Berlin/],
    [{ blockedWindows: [{ from: 'fri 12:00', to: 'fri 12:00' }] }, /^changePolicy\.blockedWindows\[0\]\.to: from and to are the same moment/],
    [{ blockedWindows: [{ from: 'friday noon', to: 'mon 06:00' }] }, /^changePolicy\.blockedWindows\[0\]\.from: "friday noon" is not a day and a time; write e\.g\. "fri 12:00"/],
    [{ holidays: ['2026-02-30'] }, /^changePolicy\.holidays\[0\]: "2026-02-30" is not a date/],
    [{ freezes: [{ name: 'f', starts: '2026-12-03T00:00', ends: '2026-11-28T00:00' }] }, /^changePolicy\.freezes\[0\]\.ends: ends is not after starts/],
    [{ freezes: [{ name: 'f', starts: '2026-11-01T00:00', rule: 'FREQ=SOMETIMES', lasts: '1d' }] }, /^changePolicy\.freezes\[0\]\.rule: not a recurrence rule: FREQ=SOMETIMES is not supported/],
    [{ freezes: [{ name: 'f', starts: '2026-11-01T00:00', rule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', lasts: '1d' }] }, /^changePolicy\.freezes\[0\]\.rule: the rule never occurs/],
    [{ freezes: [{ name: 'f', starts: '2026-11-01T00:00', rule: 'FREQ=YEARLY' }] }, /^changePolicy\.freezes\[0\]\.lasts: a recurring freeze needs lasts/],
    [{ risks: ['critical'] }, /^changePolicy\.risks\[0\]:/],
    [{ whenBlocked: 'skip' }, /^changePolicy\.whenBlocked:/],
  ])('%j', (changePolicy, expected) => {
    expect(problems(changePolicy)).toEqual([expect.stringMatching(expected)]);
  });

  test('a service is admitted with the catalogue\'s policy under its own; freezes add up, other fields are replaced', () => {
    const data = catalogue({ timeZone: 'Europe/Berlin', freezes: [{ name: 'company', starts: '2026-11-26T00:00', ends: '2026-12-01T00:00' }] });
    Object.assign(data.services.web, { changePolicy: { whenBlocked: 'refuse', freezes: [{ name: 'web-only', starts: '2026-12-10T00:00', ends: '2026-12-11T00:00' }] } });
    const result = validateCatalogue(data);
    if (!result.success) throw new Error(JSON.stringify(result.issues));
    const policy = effectiveChangePolicy(result.catalogue.services.web.changePolicy, 'production', { timeZone: 'UTC' })!;
    expect(policy).toMatchObject({ timeZone: 'UTC', whenBlocked: 'refuse', risks: ['medium', 'high'], canaryMayFinish: true });
    expect(policy.freezes.map((f) => f.name)).toEqual(['company', 'web-only']);
    expect(decideChange(policy, production, at('2026-11-26T12:00:00Z'))).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/^change freeze company until Tue 2026-12-01 00:00 UTC; .*start it again from Tue 2026-12-01 00:00 UTC$/),
    });
    expect(describeInstant(at('2026-12-10T12:00:00Z'), 'UTC')).toBe('Thu 2026-12-10 12:00 UTC');
    expect(decideChange(policy, production, at('2026-12-10T12:00:00Z'))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^change freeze web-only/) });
  });

  test('without a changePolicy anywhere, change management is off', () => {
    const result = validateCatalogue(catalogue(undefined));
    if (!result.success) throw new Error(JSON.stringify(result.issues));
    expect(effectiveChangePolicy(result.catalogue.services.web.changePolicy, 'production', undefined)).toBeUndefined();
  });
});

describe('declared freezes in the decision', () => {
  const declared = [{ id: 'F1', reason: 'payments incident', by: 'carol', environments: ['production'] }];
  test('hold every risk, with or without a change policy, until ended; other environments are open', () => {
    expect(decideChange(undefined, { ...production, risk: 'low' }, at('2026-12-02T10:00:00Z'), declared)).toMatchObject({
      kind: 'wait',
      hold: 'freeze',
      until: 'the freeze is ended (gantry freeze end)',
      reasons: ['change freeze F1 declared by carol (payments incident) until it is ended'],
    });
    expect(decideChange(undefined, { ...production, environment: 'staging' }, at('2026-12-02T10:00:00Z'), declared).kind).toBe('allowed');
  });
  test('one with an end holds until then, and a window after it holds on', () => {
    const policy = policyOf({ timeZone: 'Europe/Berlin' });
    const until = [{ ...declared[0], untilMs: at('2026-12-04T12:00:00Z') }];
    expect(decideChange(policy, production, at('2026-12-03T10:00:00Z'), until)).toMatchObject({ kind: 'wait', until: 'Mon 2026-12-07 06:00 Europe/Berlin' });
  });
});

describe('quarantines in the decision', () => {
  const quarantines = [{ service: 'web', version: '1.4.2', by: 'carol', reason: 'corrupts carts' }];
  const hold = 'web 1.4.2 is quarantined by carol (corrupts carts) until it is lifted (gantry release unquarantine web 1.4.2)';
  test('hold the quarantined version in every environment, whatever its risk and with no change policy, until lifted', () => {
    for (const environment of ['staging', 'production']) {
      expect(decideChange(undefined, { ...production, environment, risk: 'low', version: '1.4.2' }, at('2026-12-02T10:00:00Z'), [], quarantines)).toEqual({
        kind: 'wait',
        hold: 'quarantine',
        until: 'the quarantine is lifted',
        reason: `${hold}; it may deploy once the quarantine is lifted`,
        reasons: [hold],
      });
    }
  });
  test('another version, another service, or a question about no version in particular is not held', () => {
    expect(decideChange(undefined, { ...production, version: '1.4.3' }, at('2026-12-02T10:00:00Z'), [], quarantines).kind).toBe('allowed');
    expect(decideChange(undefined, { ...production, service: 'api', version: '1.4.2' }, at('2026-12-02T10:00:00Z'), [], quarantines).kind).toBe('allowed');
    expect(decideChange(undefined, production, at('2026-12-02T10:00:00Z'), [], quarantines).kind).toBe('allowed');
  });
  test('come first beside freezes and windows, and are never refused by a policy that refuses blocked releases: they wait to be lifted', () => {
    const policy = policyOf({ timeZone: 'Europe/Berlin', whenBlocked: 'refuse' });
    const declared = [{ id: 'F1', reason: 'payments incident', by: 'dave' }];
    // Saturday: inside the default weekend window, during a declared freeze.
    const decision = decideChange(policy, { ...production, version: '1.4.2' }, at('2026-12-05T10:00:00Z'), declared, quarantines);
    expect(decision).toMatchObject({ kind: 'wait', hold: 'quarantine', until: 'the quarantine is lifted' });
    expect(decision.kind === 'wait' && decision.reasons[0]).toBe(hold);
    expect(decision.kind === 'wait' && decision.reasons.length).toBe(3);
  });
});

import { decideSoak, soakProblems } from '../../src/policy/soak-precondition';

const at = (iso: string) => Date.parse(iso);

describe('decideSoak: how long a version waits before it enters the next environment', () => {
  const request = { version: '1.4.2', environment: 'production', previous: { environment: 'staging', deployedAtMs: at('2026-12-01T10:00:00Z') }, soakMs: 2 * 3_600_000 };

  test.each([
    // now, decision (untilMs when it waits)
    ['2026-12-01T10:00:00Z', at('2026-12-01T12:00:00Z')],
    ['2026-12-01T10:30:00Z', at('2026-12-01T12:00:00Z')],
    ['2026-12-01T11:59:59Z', at('2026-12-01T12:00:00Z')],
    ['2026-12-01T12:00:00Z', undefined],
    ['2026-12-03T08:00:00Z', undefined],
  ])('at %s it may go at %s', (now, untilMs) => {
    const decision = decideSoak(request, at(now));
    if (untilMs === undefined) expect(decision).toEqual({ kind: 'allowed' });
    else expect(decision).toMatchObject({ kind: 'wait', untilMs });
  });

  test('the reason says how long, where, since when and until when', () => {
    expect(decideSoak({ ...request, soakMs: 90 * 60_000 }, at('2026-12-01T10:30:00Z'))).toEqual({
      kind: 'wait',
      untilMs: at('2026-12-01T11:30:00Z'),
      until: 'Tue 2026-12-01 11:30 UTC',
      reason: '1.4.2 must run in staging for 1h30m before it enters production (soakInPrevious); it has run there since Tue 2026-12-01 10:00 UTC',
    });
  });
});

describe('soakProblems: the first environment has nothing before it to soak in', () => {
  test('only soakInPrevious on the first environment is a problem', () => {
    expect(soakProblems({ staging: {}, production: { soakInPrevious: 3_600_000 } })).toEqual([]);
    expect(soakProblems({})).toEqual([]);
    expect(soakProblems({ staging: { soakInPrevious: 60_000 }, production: {} })).toEqual([
      { environment: 'staging', message: expect.stringMatching(/^staging is the first environment, so there is no previous one for a version to soak in; remove soakInPrevious/) },
    ]);
  });
});

import { applyCalendarEvent } from '../../src/policy/declared-freezes';
import { checkQuarantineRequest, liftRefusal, quarantineRefusal } from '../../src/policy/quarantine';
import type { CalendarView } from '../../src/shared/change-calendar';
import type { CalendarEvent, Recorded } from '../../src/shared/decision-events';

const good = { service: 'web', version: '1.4.2', by: 'carol', reason: 'corrupts carts' };
const recorded = <E extends CalendarEvent>(event: E, at: string): Recorded<E> => ({ ...event, seq: 1, at, workflowId: 'change-calendar' });

describe('checkQuarantineRequest: every problem, each naming its option or argument', () => {
  test('a complete request, and a lift without a reason, are fine', () => {
    expect(checkQuarantineRequest(good)).toEqual([]);
    expect(checkQuarantineRequest({ service: 'web', version: 'v2.0.0-rc.1', by: 'dave' }, true)).toEqual([]);
  });
  test.each([
    [{ reason: '' }, /^--reason is required: say why the version must not deploy/],
    [{ reason: '   ' }, /^--reason is required/],
    [{ by: 'carol smith' }, /^--as: "carol smith" is not a user name/],
    [{ service: 'Web' }, /^<service>: "Web" is not a service name/],
    [{ version: 'latest' }, /^<version>: "latest" is not a semantic version/],
  ])('%j is refused', (change, message) => {
    expect(checkQuarantineRequest({ ...good, ...change })).toEqual([expect.stringMatching(message)]);
  });
});

describe('the calendar keeps quarantines', () => {
  test('a quarantine is refused twice, a lift of a version not quarantined is refused, and each says why', () => {
    const view: CalendarView = { active: [], ended: [], quarantined: [], lifted: [] };
    expect(liftRefusal(view, good)).toBe('web 1.4.2 is not quarantined');
    applyCalendarEvent(view, recorded({ kind: 'version_quarantined', quarantine: { ...good, at: '2026-12-01T10:00:00.000Z' } }, '2026-12-01T10:00:00.000Z'));
    expect(quarantineRefusal(view, good)).toBe('web 1.4.2 is already quarantined by carol since 2026-12-01T10:00:00.000Z (corrupts carts)');
    expect(quarantineRefusal(view, { service: 'web', version: '1.4.3' })).toBeUndefined();
    expect(liftRefusal(view, good)).toBeUndefined();
    applyCalendarEvent(view, recorded({ kind: 'quarantine_lifted', service: 'web', version: '1.4.2', by: 'dave' }, '2026-12-02T09:00:00.000Z'));
    expect(view.quarantined).toEqual([]);
    expect(view.lifted).toEqual([{ ...good, at: '2026-12-01T10:00:00.000Z', lifted: { at: '2026-12-02T09:00:00.000Z', by: 'dave' } }]);
    expect(liftRefusal(view, good)).toBe('web 1.4.2 is not quarantined: dave lifted its quarantine at 2026-12-02T09:00:00.000Z');
  });
  test('a calendar recorded before quarantines existed takes its first one', () => {
    const view: CalendarView = { active: [], ended: [] };
    applyCalendarEvent(view, recorded({ kind: 'version_quarantined', quarantine: { ...good, at: '2026-12-01T10:00:00.000Z' } }, '2026-12-01T10:00:00.000Z'));
    expect(view.quarantined).toHaveLength(1);
  });
});

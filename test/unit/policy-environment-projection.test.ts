import { HISTORY_KEPT, applyEnvironmentEvent } from '../../src/policy/environment-projection';
import type { EnvironmentEvent, Recorded } from '../../src/shared/decision-events';
import type { EnvironmentRecord } from '../../src/shared/environment';

const a = { workflowId: 'release/web/1.0.0', runId: 'r1' };
const b = { workflowId: 'release/web/1.1.0', runId: 'r2' };
let seq = 0;
const at = (event: EnvironmentEvent, time = '2026-12-01T10:00:00.000Z'): Recorded<EnvironmentEvent> => ({ ...event, seq: ++seq, at: time, workflowId: 'environment/web/staging' });
const fresh = (): EnvironmentRecord => ({ service: 'web', environment: 'staging', queue: [], history: [] });

describe("an environment's record follows from its events", () => {
  test('turns: requested in order, granted to the first, handed back, then the next', () => {
    const record = fresh();
    applyEnvironmentEvent(record, at({ kind: 'turn_requested', request: a }));
    applyEnvironmentEvent(record, at({ kind: 'turn_requested', request: b }));
    applyEnvironmentEvent(record, at({ kind: 'turn_granted', request: a }));
    expect(record).toMatchObject({ holder: a, queue: [b] });
    applyEnvironmentEvent(record, at({ kind: 'turn_returned', request: a }));
    expect(record.holder).toBeUndefined();
    applyEnvironmentEvent(record, at({ kind: 'turn_dropped', request: b }));
    expect(record).toMatchObject({ holder: undefined, queue: [] });
  });

  test('a release that gives up waiting leaves the queue; a holder that ended is reclaimed', () => {
    const record = fresh();
    applyEnvironmentEvent(record, at({ kind: 'turn_requested', request: a }));
    applyEnvironmentEvent(record, at({ kind: 'turn_requested', request: b }));
    applyEnvironmentEvent(record, at({ kind: 'turn_granted', request: a }));
    applyEnvironmentEvent(record, at({ kind: 'turn_returned', request: b }));
    expect(record).toMatchObject({ holder: a, queue: [] });
    applyEnvironmentEvent(record, at({ kind: 'turn_reclaimed', request: a }));
    expect(record.holder).toBeUndefined();
  });

  test('a deploy makes its version current (the one before becomes previous); the same version again changes only the history', () => {
    const record = fresh();
    applyEnvironmentEvent(record, at({ kind: 'deployed', version: '1.0.0', digest: 'sha256:1', url: 'http://x', release: a.workflowId }, '2026-12-01T10:00:00.000Z'));
    applyEnvironmentEvent(record, at({ kind: 'deployed', version: '1.1.0', digest: 'sha256:2', url: 'http://y', release: b.workflowId }, '2026-12-01T11:00:00.000Z'));
    applyEnvironmentEvent(record, at({ kind: 'restored', version: '1.1.0', digest: 'sha256:2', url: 'http://y', release: b.workflowId }, '2026-12-01T12:00:00.000Z'));
    expect(record.current).toEqual({ version: '1.1.0', digest: 'sha256:2', url: 'http://y', since: '2026-12-01T11:00:00.000Z', release: b.workflowId });
    expect(record.previous?.version).toBe('1.0.0');
    expect(record.history.map((h) => `${h.kind} ${h.version}`)).toEqual(['deployed 1.0.0', 'deployed 1.1.0', 'restored 1.1.0']);
  });

  test(`the history keeps the last ${HISTORY_KEPT} deploys`, () => {
    const record = fresh();
    for (let i = 0; i < HISTORY_KEPT + 5; i++) applyEnvironmentEvent(record, at({ kind: 'deployed', version: `1.0.${i}`, digest: `sha256:${i}`, url: 'http://x', release: `release/web/1.0.${i}` }));
    expect(record.history).toHaveLength(HISTORY_KEPT);
    expect(record.history[0].version).toBe('1.0.5');
  });
});

import { Writable } from 'node:stream';
import { LiveArea } from '../../src/cli/live-area';
import { rolloutLogLine, rolloutPanel } from '../../src/cli/rollout-panel';
import type { RolloutStatus } from '../../src/shared/rollout';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const canary: RolloutStatus = {
  strategy: 'canary',
  phase: 'progressing',
  stableVersion: '1.0.0',
  canaryVersion: '1.1.0',
  weights: { stable: 50, canary: 50 },
  step: 1,
  steps: [{ weight: 10, soakMs: 60_000 }, { weight: 50, soakMs: 120_000 }, { weight: 100 }],
  nextCheckAt: '2026-12-02T10:00:07Z',
  soak: { planned: 4, done: 1 },
  analyses: [
    { at: '2026-12-02T09:59:00Z', weight: 10, verdict: 'pass', summary: 'error rate 0.0 % (limit 5 %), p95 12 ms vs 11 ms, 480 requests' },
    { at: '2026-12-02T09:59:37Z', weight: 50, verdict: 'pass', summary: 'error rate 0.2 % (limit 5 %), p95 13 ms vs 12 ms, 2,410 requests' },
  ],
  decisions: [],
};

describe('the rollout panel', () => {
  test('a soaking canary: step, traffic bar, soak progress with the next check and the time left, the last verdict', () => {
    expect(rolloutPanel(canary, NOW)).toEqual([
      '  canary step 2 of 3: 1.1.0 50 % · 1.0.0 50 %  [##########----------]',
      // Next in 7 s, then 2 more checks 30 s apart (120 s over 4 checks).
      '  soak     1 of 4 checks passed · next check in 7 s · about 67 s left in this step',
      '  last     pass at 50 %: error rate 0.2 % (limit 5 %), p95 13 ms vs 12 ms, 2,410 requests',
    ]);
  });

  test('what holds a rollout is said on its own line', () => {
    expect(rolloutPanel({ ...canary, pausedBecause: 'paused by bob: looking at the logs' }, NOW)).toContain('  held     paused by bob: looking at the logs');
  });

  test('blue/green shows green and blue', () => {
    const blueGreen: RolloutStatus = { ...canary, strategy: 'blueGreen', phase: 'keeping_blue', weights: { stable: 0, canary: 100 }, step: undefined, soak: undefined, nextCheckAt: '2026-12-02T10:00:03Z', analyses: [] };
    expect(rolloutPanel(blueGreen, NOW)).toEqual(['  blue/green keeping blue: green 1.1.0 100 % · blue 1.0.0 0 %  [####################]', '  checks   next in 3 s']);
  });

  test('the CI line has the same facts without countdowns, so it changes only when they do', () => {
    expect(rolloutLogLine(canary)).toBe('canary step 2 of 3: 1.1.0 50 % · 1.0.0 50 %; 1/4 checks passed; last check pass: error rate 0.2 % (limit 5 %), p95 13 ms vs 12 ms, 2,410 requests');
    expect(rolloutLogLine({ ...canary, nextCheckAt: '2026-12-02T10:00:37Z' })).toBe(rolloutLogLine(canary));
  });
});

/** A terminal stand-in that keeps what was written, with its width. */
function terminal(columns = 80) {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  (stream as { columns?: number }).columns = columns;
  return { stream, written: () => written };
}

describe('the live area', () => {
  test('redraws its lines in place, and prints a message above them rather than in their middle', () => {
    const t = terminal();
    const area = new LiveArea(t.stream);
    area.render(['stage', 'panel 1']);
    area.render(['stage', 'panel 2']);
    area.print('approved by bob');
    expect(t.written()).toBe(
      'stage\npanel 1' +
        // Back to the area's first line, clearing each, and the new lines.
        '\r\x1b[2K\x1b[1A\x1b[2Kstage\npanel 2' +
        // The message goes where the area was; the area is drawn again below it.
        '\r\x1b[2K\x1b[1A\x1b[2Kapproved by bob\nstage\npanel 2',
    );
  });

  test('writes nothing when nothing changed, and cuts lines the terminal would wrap', () => {
    const t = terminal(12);
    const area = new LiveArea(t.stream);
    area.render(['a line much too long']);
    area.render(['a line much too long']);
    expect(t.written()).toBe('a line muc…');
    area.clear();
    expect(t.written()).toBe('a line muc…\r\x1b[2K');
  });
});

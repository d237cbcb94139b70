import { checkSteer } from '../../src/policy/steering';
import { checkAbort } from '../../src/policy/abort';
import type { RolloutStatus } from '../../src/shared/rollout';

const rollout = (over: Partial<RolloutStatus> = {}): RolloutStatus => ({
  strategy: 'canary',
  phase: 'progressing',
  canaryVersion: '2.0.0',
  stableVersion: '1.0.0',
  weights: { stable: 95, canary: 5 },
  steps: [{ weight: 5 }, { weight: 100 }],
  analyses: [],
  decisions: [],
  ...over,
});
// What the rollout reports after a pause it cannot hold for yet: its phase is unchanged.
const pending = (phase: RolloutStatus['phase']) => rollout({ phase, weights: { stable: 100, canary: 0 }, pausedBecause: 'paused by oncall: load test running' });

describe('checkSteer', () => {
  test.each([
    ['pause while progressing', 'pause', rollout(), undefined],
    ['pause while starting', 'pause', rollout({ phase: 'starting' }), undefined],
    ['pause while paused', 'pause', rollout({ phase: 'paused', pausedBecause: 'paused by oncall' }), /^the rollout is already paused$/],
    ['a second pause while starting', 'pause', pending('starting'), /^a pause is already pending: the rollout holds before traffic moves \(it is starting\)$/],
    ['a second pause while green is verified', 'pause', pending('verifying'), /^a pause is already pending: .*\(it is verifying\)$/],
    ['resume while paused', 'resume', rollout({ phase: 'paused', pausedBecause: 'paused by oncall' }), undefined],
    ['resume of a pause pending while starting', 'resume', pending('starting'), undefined],
    ['resume of a pause pending while green is verified', 'resume', pending('verifying'), undefined],
    ['resume while progressing', 'resume', rollout(), /^the rollout is not paused \(it is progressing\)$/],
    ['resume while starting with no pause', 'resume', rollout({ phase: 'starting' }), /^the rollout is not paused \(it is starting\)$/],
    ['promote of a pending pause', 'promote', pending('starting'), undefined],
    ['rollback of a pending pause', 'rollback', pending('verifying'), undefined],
    ['resume once promoted, even with a pause left in the status', 'resume', rollout({ phase: 'promoted', pausedBecause: 'paused by oncall' }), /^the rollout is already promoted$/],
    ['pause once rolled back', 'pause', rollout({ phase: 'rolled_back' }), /^the rollout is already rolled back$/],
  ])('%s', (_name, action, status, refusal) => {
    const verdict = checkSteer(action, status, false, 'oncall', 'a reason');
    if (refusal === undefined) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });

  test.each([
    ['the release has ended', 'resume', pending('starting'), true, 'oncall', undefined, /already ended/],
    ['there is no rollout yet', 'pause', undefined, false, 'oncall', undefined, /there is no rollout to pause/],
    ['nobody said who they are', 'resume', pending('starting'), false, ' ', undefined, /say who you are/],
    ['a promote without a reason', 'promote', rollout(), false, 'oncall', '', /a promote needs a reason/],
    ['a rollback without a reason', 'rollback', rollout(), false, 'oncall', undefined, /a rollback needs a reason/],
  ])('refused when %s', (_name, action, status, finished, by, reason, refusal) => {
    expect(checkSteer(action, status, finished, by, reason)).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });
});

describe('a committed promotion', () => {
  const committed = rollout({ phase: 'promoting', committedAt: '2026-12-01T10:00:00.000Z', weights: { stable: 0, canary: 100 } });
  test.each(['pause', 'resume', 'promote', 'rollback'])('refuses %s, saying when it was committed and what to do instead', (action) => {
    expect(checkSteer(action, committed, false, 'oncall', 'a reason')).toEqual({
      ok: false,
      reason: 'the promotion of 2.0.0 was committed at 2026-12-01T10:00:00.000Z: the old version is being retired, so it can no longer be paused, aborted or rolled back; release a fix or the previous version instead',
    });
  });

  test.each([
    ['while promoting', committed, /^the promotion of 2\.0\.0 was committed at 2026-12-01T10:00:00\.000Z/],
    ['once promoted', rollout({ phase: 'promoted', committedAt: '2026-12-01T10:00:00.000Z' }), /was committed at/],
  ])('refuses an abort %s', (_name, status, refusal) => {
    expect(checkAbort(false, 'oncall', 'incident', status)).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });

  test.each([
    ['before any rollout', undefined],
    ['while the canary soaks', rollout()],
    ['while rolling back', rollout({ phase: 'rolling_back' })],
  ])('an abort is accepted %s', (_name, status) => {
    expect(checkAbort(false, 'oncall', 'incident', status)).toEqual({ ok: true });
  });
});

import { approvalByAnalysis } from '../../src/policy/approval-by-analysis';
import type { AnalysisRecord, RolloutStatus } from '../../src/shared/rollout';

const judged = (verdict: 'pass' | 'marginal' | 'fail', score?: number): AnalysisRecord => ({
  at: '2026-12-02T09:00:00Z',
  weight: 10,
  verdict: verdict === 'pass' ? 'pass' : verdict === 'fail' ? 'fail' : 'inconclusive',
  summary: `${verdict}: score ${score ?? 'none'}`,
  judged: { verdict, ...(score !== undefined ? { score } : {}) },
});

const rollout = (analyses: AnalysisRecord[], more: Partial<RolloutStatus> = {}): RolloutStatus => ({
  strategy: 'canary',
  phase: 'promoted',
  canaryVersion: '2.0.0',
  weights: { stable: 0, canary: 100 },
  steps: [],
  analyses,
  decisions: [],
  ...more,
});

describe('approvalByAnalysis: the judge approves the next environment only for a rollout it judged all the way', () => {
  test('every scored check passed, nobody stepped in: approved, saying how', () => {
    expect(approvalByAnalysis(rollout([judged('marginal'), judged('pass', 100), judged('pass', 92.5)]), 'staging')).toEqual({
      approved: true,
      reason: 'the statistical judge passed all 2 scored checks of the rollout in staging (lowest score 93)',
    });
  });

  test.each([
    ['no rollout (allAtOnce)', undefined, /no progressive rollout in staging/],
    ['a rollout that rolled back', rollout([judged('fail', 40)], { phase: 'rolled_back' }), /ended rolled back/],
    ['checks judged by fixed limits only', rollout([{ at: 'x', weight: 10, verdict: 'pass', summary: 'error rate 0 % ≤ limit 1 %' }]), /scored no check/],
    ['a marginal check a person resumed', rollout([judged('marginal', 60), judged('pass', 100)]), /found 1 of 2 checks in staging marginal/],
    [
      'a promote that cut a soak short',
      rollout([judged('pass', 100)], { decisions: [{ kind: 'promote', by: 'carol', at: 'x', result: 'accepted' }] }),
      /carol steered the rollout in staging \(promote\), so people decide/,
    ],
  ])('%s: people approve', (_what, status, why) => {
    const answer = approvalByAnalysis(status, 'staging');
    expect(answer.approved).toBe(false);
    expect(answer.approved ? '' : answer.why).toMatch(why);
  });

  test('a refused steering message changes nothing', () => {
    const status = rollout([judged('pass', 97)], { decisions: [{ kind: 'promote', by: 'carol', at: 'x', result: 'refused', refusal: 'committed' }] });
    expect(approvalByAnalysis(status, 'staging').approved).toBe(true);
  });
});

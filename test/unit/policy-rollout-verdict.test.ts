import type { Verdict } from '../../src/policy/analysis';
import {
  type AnalysisTally,
  type DecisionRules,
  type RolloutDecision,
  SINGLE_CHECK_RULES,
  decide,
  decisionReason,
  emptyTally,
  judge,
  recordAnalysis,
  resumedTally,
} from '../../src/policy/rollout-verdict';

const CONSECUTIVE: DecisionRules = { failureLimit: 2, failureMode: 'consecutive', inconclusiveLimit: 3 };
const TOTAL: DecisionRules = { ...CONSECUTIVE, failureMode: 'total' };

const P: Verdict = 'pass';
const F: Verdict = 'fail';
const I: Verdict = 'inconclusive';

/** The decision after each result of the sequence. */
function decisions(sequence: Verdict[], rules: DecisionRules): RolloutDecision[] {
  let tally = emptyTally();
  return sequence.map((verdict) => {
    tally = recordAnalysis(tally, { verdict });
    return decide(tally, rules);
  });
}

function tallyOf(sequence: Verdict[]): AnalysisTally {
  return sequence.reduce((tally, verdict) => recordAnalysis(tally, { verdict }), emptyTally());
}

describe('decide, after each analysis', () => {
  test.each<[string, Verdict[], DecisionRules, RolloutDecision[]]>([
    ['passes go on', [P, P, P], CONSECUTIVE, ['continue', 'continue', 'continue']],
    ['two fails in a row roll back', [P, F, F], CONSECUTIVE, ['continue', 'continue', 'rollback']],
    ['a pass between fails resets the run', [F, P, F, P, F], CONSECUTIVE, ['continue', 'continue', 'continue', 'continue', 'continue']],
    ['…but not in total mode', [F, P, F], TOTAL, ['continue', 'continue', 'rollback']],
    ['an inconclusive check between fails does not reset the run', [F, I, F], CONSECUTIVE, ['continue', 'continue', 'rollback']],
    ['the worked example of the doc comment', [F, I, P, F, I, F], CONSECUTIVE, ['continue', 'continue', 'continue', 'continue', 'continue', 'rollback']],
    ['the same in total mode', [F, I, P, F], TOTAL, ['continue', 'continue', 'continue', 'rollback']],
    ['three inconclusive in a row pause', [P, I, I, I], CONSECUTIVE, ['continue', 'continue', 'continue', 'pause']],
    ['a pass breaks a run of inconclusive checks', [I, I, P, I, I], CONSECUTIVE, ['continue', 'continue', 'continue', 'continue', 'continue']],
    ['a fail breaks a run of inconclusive checks too', [I, I, F, I, I], CONSECUTIVE, ['continue', 'continue', 'continue', 'continue', 'continue']],
    ['failure limit 1 rolls back at the first fail', [P, F], { ...CONSECUTIVE, failureLimit: 1 }, ['continue', 'rollback']],
    ['inconclusive limit 1 pauses at the first', [I], { ...CONSECUTIVE, inconclusiveLimit: 1 }, ['pause']],
  ])('%s', (_name, sequence, rules, expected) => {
    expect(decisions(sequence, rules)).toEqual(expected);
  });

  test('a rollback wins when both limits are reached', () => {
    const tally: AnalysisTally = { ...emptyTally(), totalFailures: 2, consecutiveFailures: 2, consecutiveInconclusive: 3 };
    expect(decide(tally, CONSECUTIVE)).toBe('rollback');
  });

  test('nothing analysed yet: continue', () => {
    expect(decide(emptyTally(), CONSECUTIVE)).toBe('continue');
  });
});

describe('recordAnalysis', () => {
  test.each<[Verdict[], AnalysisTally]>([
    [[], { total: 0, totalPasses: 0, totalFailures: 0, totalInconclusive: 0, consecutiveFailures: 0, consecutiveInconclusive: 0 }],
    [[P, F, I], { total: 3, totalPasses: 1, totalFailures: 1, totalInconclusive: 1, consecutiveFailures: 1, consecutiveInconclusive: 1 }],
    [[F, F, P], { total: 3, totalPasses: 1, totalFailures: 2, totalInconclusive: 0, consecutiveFailures: 0, consecutiveInconclusive: 0 }],
    [[I, I, F], { total: 3, totalPasses: 0, totalFailures: 1, totalInconclusive: 2, consecutiveFailures: 1, consecutiveInconclusive: 0 }],
    [[F, I, I], { total: 3, totalPasses: 0, totalFailures: 1, totalInconclusive: 2, consecutiveFailures: 1, consecutiveInconclusive: 2 }],
  ])('%j', (sequence, expected) => {
    expect(tallyOf(sequence)).toEqual(expected);
  });

  test('does not change the tally it is given', () => {
    const before = emptyTally();
    recordAnalysis(before, { verdict: 'fail' });
    expect(before).toEqual(emptyTally());
  });
});

describe('resumedTally', () => {
  test('a resumed rollout does not pause again at the next inconclusive check, and failures still count', () => {
    const paused = tallyOf([F, I, I, I]);
    expect(decide(paused, CONSECUTIVE)).toBe('pause');
    const resumed = resumedTally(paused);
    expect(resumed).toEqual({ ...paused, consecutiveInconclusive: 0 });
    expect(decide(recordAnalysis(resumed, { verdict: I }), CONSECUTIVE)).toBe('continue');
    expect(decide(recordAnalysis(resumed, { verdict: F }), CONSECUTIVE)).toBe('rollback');
  });
});

describe('decisionReason', () => {
  const last = { summary: 'error rate 7.5 % > limit 1 %' };
  test.each<[RolloutDecision, Verdict[], DecisionRules, string | undefined]>([
    ['rollback', [F, F], CONSECUTIVE, '2 failed checks in a row (limit 2): error rate 7.5 % > limit 1 %'],
    ['rollback', [F, P, F], TOTAL, '2 failed checks in total (limit 2): error rate 7.5 % > limit 1 %'],
    ['rollback', [F], { ...CONSECUTIVE, failureLimit: 1 }, '1 failed check in a row (limit 1): error rate 7.5 % > limit 1 %'],
    ['pause', [I, I, I], CONSECUTIVE, '3 inconclusive checks in a row (limit 3): error rate 7.5 % > limit 1 %'],
    ['continue', [P], CONSECUTIVE, undefined],
  ])('%s after %j', (decision, sequence, rules, expected) => {
    const tally = tallyOf(sequence);
    expect(decide(tally, rules)).toBe(decision);
    expect(decisionReason(decision, tally, rules, last)).toBe(expected);
  });
});

describe('judge: one more analysis counted, decided and explained', () => {
  /** Each result of the sequence judged in turn, as a soak does. */
  function judged(sequence: Verdict[], rules: DecisionRules) {
    let tally = emptyTally();
    return sequence.map((verdict, i) => {
      const judgement = judge(tally, { verdict, summary: `check ${i + 1}` }, rules);
      tally = judgement.tally;
      return judgement;
    });
  }

  test('the worked example of the doc comment: the second failure in a row rolls back, saying why', () => {
    const tally = tallyOf([F]);
    expect(judge(tally, { verdict: F, summary: 'error rate 7.5 % > limit 1 %' }, CONSECUTIVE)).toEqual({
      tally: tallyOf([F, F]),
      decision: 'rollback',
      reason: '2 failed checks in a row (limit 2): error rate 7.5 % > limit 1 %',
    });
  });

  test.each<[string, Verdict[], DecisionRules, RolloutDecision[]]>([
    ['in a row, an inconclusive check between failures does not reset the run', [F, I, F], CONSECUTIVE, ['continue', 'continue', 'rollback']],
    ['in a row, a pass does', [F, P, F], CONSECUTIVE, ['continue', 'continue', 'continue']],
    ['in total, it does not either', [F, P, F], TOTAL, ['continue', 'continue', 'rollback']],
    ['inconclusive checks up to the limit pause', [I, I, I], CONSECUTIVE, ['continue', 'continue', 'pause']],
  ])('%s', (_name, sequence, rules, expected) => {
    const judgements = judged(sequence, rules);
    expect(judgements.map((j) => j.decision)).toEqual(expected);
    // The same decisions as counting and deciding by hand, and a reason exactly when not continuing.
    expect(judgements.map((j) => j.decision)).toEqual(decisions(sequence, rules));
    expect(judgements.map((j) => j.reason !== undefined)).toEqual(expected.map((d) => d !== 'continue'));
    expect(judgements[judgements.length - 1].tally).toEqual(tallyOf(sequence));
  });

  test('a single check that decides alone (a gate): pass goes on, a fail rolls back, an inconclusive result pauses', () => {
    expect(judge(emptyTally(), { verdict: P, summary: 's' }, SINGLE_CHECK_RULES).decision).toBe('continue');
    expect(judge(emptyTally(), { verdict: F, summary: 's' }, SINGLE_CHECK_RULES).decision).toBe('rollback');
    expect(judge(emptyTally(), { verdict: I, summary: 's' }, SINGLE_CHECK_RULES).decision).toBe('pause');
  });
});

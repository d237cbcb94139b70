import type { Verdict } from '../../src/policy/analysis';
import { legacyKeepBlueVerdict } from '../../src/policy/legacy-keep-blue-verdict';
import { type DecisionRules, type Judge, type RolloutDecision, emptyTally, judge } from '../../src/policy/rollout-verdict';

const CONSECUTIVE: DecisionRules = { failureLimit: 2, failureMode: 'consecutive', inconclusiveLimit: 3 };
const TOTAL: DecisionRules = { ...CONSECUTIVE, failureMode: 'total' };
const P: Verdict = 'pass';
const F: Verdict = 'fail';
const I: Verdict = 'inconclusive';

function decisions(by: Judge, sequence: Verdict[], rules: DecisionRules): RolloutDecision[] {
  let tally = emptyTally();
  return sequence.map((verdict) => {
    const judged = by(tally, { verdict, summary: 'error rate 30 % > limit 1 %' }, rules);
    tally = judged.tally;
    return judged.decision;
  });
}

describe("legacyKeepBlueVerdict: blue/green's rule before the verdict policy, for replaying runs started then", () => {
  test.each<[string, Verdict[], DecisionRules, RolloutDecision[], RolloutDecision[]]>([
    // name, results, rules, the old rule's decisions, the policy's decisions
    ['failures in a row roll back under both', [P, F, F], CONSECUTIVE, ['continue', 'continue', 'rollback'], ['continue', 'continue', 'rollback']],
    ['an inconclusive check ended a run of failures', [F, I, F], CONSECUTIVE, ['continue', 'continue', 'continue'], ['continue', 'continue', 'rollback']],
    ['failureMode total was ignored', [F, P, F], TOTAL, ['continue', 'continue', 'continue'], ['continue', 'continue', 'rollback']],
    ['inconclusive checks never paused', [I, I, I, I, I], CONSECUTIVE, Array(5).fill('continue'), ['continue', 'continue', 'pause', 'pause', 'pause']],
    ['the failure limit still applied', [F], { ...CONSECUTIVE, failureLimit: 1 }, ['rollback'], ['rollback']],
  ])('%s', (_name, sequence, rules, legacy, policy) => {
    expect(decisions(legacyKeepBlueVerdict, sequence, rules)).toEqual(legacy);
    expect(decisions(judge, sequence, rules)).toEqual(policy);
  });

  test("a rollback's reason is the failing check's summary alone, as blue/green said it then", () => {
    const once = legacyKeepBlueVerdict(emptyTally(), { verdict: F, summary: 'error rate 30 % > limit 1 %' }, CONSECUTIVE);
    expect(legacyKeepBlueVerdict(once.tally, { verdict: F, summary: 'error rate 31 % > limit 1 %' }, CONSECUTIVE)).toMatchObject({
      decision: 'rollback',
      reason: 'error rate 31 % > limit 1 %',
    });
    expect(once.reason).toBeUndefined();
  });
});

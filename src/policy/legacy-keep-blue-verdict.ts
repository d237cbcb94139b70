import { type Judge, decide, recordAnalysis } from './rollout-verdict';

/**
 * How blue/green judged green's checks after the switch before its verdicts went
 * through `judge`, kept only so rollouts started then replay as they ran (see the
 * `blue-green-verdicts-by-policy` patch): failures in a row, where an inconclusive check
 * ends the run like a pass does, whatever `failureMode` says; inconclusive checks never
 * pause. The rollback reason is the failing check's summary alone.
 *
 * Worked example, failureLimit 2: fail, inconclusive, fail → continue, continue,
 * continue (`judge` rolls back at the second fail); fail, fail → rollback; five
 * inconclusive → continue each time (`judge` pauses at the third).
 */
export const legacyKeepBlueVerdict: Judge = (tally, result, rules) => {
  const recorded = recordAnalysis(tally, result);
  const counted = result.verdict === 'inconclusive' ? { ...recorded, consecutiveFailures: 0 } : recorded;
  const decision = decide(counted, { failureLimit: rules.failureLimit, failureMode: 'consecutive', inconclusiveLimit: Number.POSITIVE_INFINITY });
  return { tally: counted, decision, reason: decision === 'rollback' ? result.summary : undefined };
};

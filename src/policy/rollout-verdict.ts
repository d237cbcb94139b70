import type { AnalysisConfig } from '../config/progressive-delivery';
import type { AnalysisResult } from './analysis';

/**
 * What a rollout does after each analysis: go on, roll back with no human, or pause and
 * ask one. The tally counts results; `decide` compares it with the limits. Pure.
 *
 * Counting, as in Argo Rollouts a consecutive counter is reset by a different outcome,
 * with one deliberate exception:
 * - a pass resets both consecutive counters;
 * - a fail resets `consecutiveInconclusive` (a conclusive answer ends a run of
 *   inconclusive ones);
 * - an inconclusive check does NOT reset `consecutiveFailures`: it is no evidence that
 *   the version is healthy. Otherwise a bad version whose checks alternate fail,
 *   inconclusive, fail, … would never reach a consecutive failure limit of 2.
 *
 * Worked example, failureLimit 2 (consecutive), inconclusiveLimit 3:
 *
 *   result         consecutiveFailures  consecutiveInconclusive  decision
 *   fail           1                    0                        continue
 *   inconclusive   1                    1                        continue
 *   pass           0                    0                        continue
 *   fail           1                    0                        continue
 *   inconclusive   1                    1                        continue
 *   fail           2                    0                        rollback
 *
 * With failureMode total, the same sequence rolls back at the second fail (row 4):
 * totalFailures reaches 2. Three inconclusive results in a row, with no pass or fail
 * between them, pause; a rollback wins when both limits are reached.
 */

export interface AnalysisTally {
  total: number;
  totalPasses: number;
  totalFailures: number;
  totalInconclusive: number;
  /** Failed checks since the last pass (inconclusive ones in between do not break the run). */
  consecutiveFailures: number;
  /** Inconclusive checks since the last pass or fail. */
  consecutiveInconclusive: number;
}

export type RolloutDecision = 'continue' | 'rollback' | 'pause';

export type DecisionRules = Pick<AnalysisConfig, 'failureLimit' | 'failureMode' | 'inconclusiveLimit'>;

export function emptyTally(): AnalysisTally {
  return { total: 0, totalPasses: 0, totalFailures: 0, totalInconclusive: 0, consecutiveFailures: 0, consecutiveInconclusive: 0 };
}

export function recordAnalysis(tally: AnalysisTally, result: Pick<AnalysisResult, 'verdict'>): AnalysisTally {
  const total = tally.total + 1;
  switch (result.verdict) {
    case 'pass':
      return { ...tally, total, totalPasses: tally.totalPasses + 1, consecutiveFailures: 0, consecutiveInconclusive: 0 };
    case 'fail':
      return { ...tally, total, totalFailures: tally.totalFailures + 1, consecutiveFailures: tally.consecutiveFailures + 1, consecutiveInconclusive: 0 };
    case 'inconclusive':
      return { ...tally, total, totalInconclusive: tally.totalInconclusive + 1, consecutiveInconclusive: tally.consecutiveInconclusive + 1 };
  }
}

/** Failures as the rules count them: in a row, or in total. */
export function countedFailures(tally: AnalysisTally, rules: Pick<DecisionRules, 'failureMode'>): number {
  return rules.failureMode === 'consecutive' ? tally.consecutiveFailures : tally.totalFailures;
}

export function decide(tally: AnalysisTally, rules: DecisionRules): RolloutDecision {
  if (countedFailures(tally, rules) >= rules.failureLimit) return 'rollback';
  if (tally.consecutiveInconclusive >= rules.inconclusiveLimit) return 'pause';
  return 'continue';
}

/**
 * The tally after a person resumed a rollout that paused on inconclusive checks: the
 * run of inconclusive checks they looked at no longer counts, so the next one does not
 * pause again at once. Failures still count.
 */
export function resumedTally(tally: AnalysisTally): AnalysisTally {
  return { ...tally, consecutiveInconclusive: 0 };
}

/**
 * Why the rollout rolls back or pauses, for the status and the audit trail:
 * "2 failed checks in a row (limit 2): error rate 7.5 % > limit 1 %".
 * Undefined for `continue`.
 */
export function decisionReason(decision: RolloutDecision, tally: AnalysisTally, rules: DecisionRules, last: Pick<AnalysisResult, 'summary'>): string | undefined {
  switch (decision) {
    case 'rollback': {
      const failures = countedFailures(tally, rules);
      const counted = rules.failureMode === 'consecutive' ? 'in a row' : 'in total';
      return `${failures} failed ${failures === 1 ? 'check' : 'checks'} ${counted} (limit ${rules.failureLimit}): ${last.summary}`;
    }
    case 'pause': {
      const n = tally.consecutiveInconclusive;
      return `${n} inconclusive ${n === 1 ? 'check' : 'checks'} in a row (limit ${rules.inconclusiveLimit}): ${last.summary}`;
    }
    case 'continue':
      return undefined;
  }
}

/** One analysis judged: the tally with it counted, what to do next, and why when it is not `continue`. */
export interface Judgement {
  tally: AnalysisTally;
  decision: RolloutDecision;
  reason?: string;
}

/** How a rollout judges each analysis: by default `judge`; a recorded run may need the rule it started with. */
export type Judge = (tally: AnalysisTally, result: Pick<AnalysisResult, 'verdict' | 'summary'>, rules: DecisionRules) => Judgement;

/**
 * The verdict policy applied to one more analysis: count it, decide, say why. Every
 * soak of every strategy goes through this.
 *
 * Worked example, failureLimit 2 (consecutive), tally with one failure in a row, then a
 * fail "error rate 7.5 % > limit 1 %" → { decision: 'rollback', reason: "2 failed
 * checks in a row (limit 2): error rate 7.5 % > limit 1 %" }.
 */
export const judge: Judge = (tally, result, rules) => {
  const counted = recordAnalysis(tally, result);
  const decision = decide(counted, rules);
  return { tally: counted, decision, reason: decisionReason(decision, counted, rules, result) };
};

/**
 * The rules of a check that decides alone, a gate rather than a soak (blue/green's
 * preview of green before any public traffic): one failure rolls back, one inconclusive
 * result pauses and asks a human, whatever the limits of the soaks.
 */
export const SINGLE_CHECK_RULES: DecisionRules = { failureLimit: 1, failureMode: 'consecutive', inconclusiveLimit: 1 };

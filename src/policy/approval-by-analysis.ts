import type { RolloutStatus } from '../shared/rollout';

/**
 * Whether the statistical judge's verdicts on the rollout just finished in the previous
 * environment give the approval before the next one, for a service whose approval policy
 * says `byAnalysis: true`. Pure.
 *
 * The analysis approves only a rollout it judged all the way: promoted, at least one
 * check scored, every scored check a Pass, and no person having stepped in (a resume
 * after a Marginal, or a promote that cut a soak short, is a person's judgement, so
 * people approve the next environment too). A check without a score (too little
 * traffic) neither approves nor refuses. Anything else, including a rollout judged by
 * fixed limits or no rollout at all, leaves the approval to the approvers.
 */
export type AnalysisApproval = { approved: true; reason: string } | { approved: false; why: string };

export function approvalByAnalysis(rollout: RolloutStatus | undefined, environment: string): AnalysisApproval {
  if (!rollout) return { approved: false, why: `no progressive rollout in ${environment} to judge the release by` };
  if (rollout.phase !== 'promoted') return { approved: false, why: `the rollout in ${environment} ended ${rollout.phase.replace(/_/g, ' ')}` };
  const scored = rollout.analyses.filter((a) => a.judged?.score !== undefined);
  if (scored.length === 0) return { approved: false, why: `the statistical judge scored no check of the rollout in ${environment}` };
  const notPassed = scored.filter((a) => a.judged?.verdict !== 'pass');
  if (notPassed.length > 0) {
    return { approved: false, why: `the judge found ${notPassed.length} of ${scored.length} checks in ${environment} ${notPassed[0]?.judged?.verdict}: ${notPassed[0]?.summary}` };
  }
  const steered = rollout.decisions.find((d) => (d.result ?? 'accepted') === 'accepted' && (d.kind === 'resume' || d.kind === 'promote' || d.kind === 'promote_full'));
  if (steered) return { approved: false, why: `${steered.by} steered the rollout in ${environment} (${steered.kind.replace('_', ' ')}), so people decide` };
  const lowest = Math.min(...scored.map((a) => a.judged?.score ?? 0));
  return { approved: true, reason: `the statistical judge passed all ${scored.length} scored checks of the rollout in ${environment} (lowest score ${Math.round(lowest)})` };
}

import type { AuditEntry } from '../providers/audit/audit-store';
import { approvalPolicyOf } from '../policy/approval-rules';
import { approvalsSatisfied } from '../policy/approval';
import type { ReleaseTrail } from './release-trail';

/**
 * What an auditor asks of a period, from the audit trail: every release that bent or
 * broke the rules, each with who and why. Pure.
 *
 * - releases that reached production without the approvals their policy required
 *   (should be none: the release refuses; listed so an auditor sees it is none), an
 *   emergency approved instead being said so;
 * - gates passed by an emergency or an override, with its reason;
 * - approvals not signed where the policy required signatures;
 * - refused attempts (messages, freezes and quarantines) with who and why;
 * - rollbacks: explicit ones and canaries rolled back, with their reasons.
 */
export interface ComplianceReport {
  withoutRequiredApprovals: { release: string; approvals: string[]; required: string; emergency?: string }[];
  exceptions: { release: string; exception: string; by: string; reason: string; ticket?: string; environment: string; passed: string[]; at: string }[];
  unsignedApprovals: { release: string; by: string; at: string }[];
  refused: { workflowId: string; what: string; by: string; refusal: string; at: string }[];
  rollbacks: { release: string; how: string; reason: string; at: string }[];
}

export function complianceReport(trails: readonly ReleaseTrail[], periodEntries: readonly AuditEntry[], since: Date, until: Date): ComplianceReport {
  const inPeriod = (at: string | undefined) => at !== undefined && Date.parse(at) >= since.getTime() && Date.parse(at) < until.getTime();
  const report: ComplianceReport = { withoutRequiredApprovals: [], exceptions: [], unsignedApprovals: [], refused: [], rollbacks: [] };

  for (const t of trails) {
    if (t.definition && inPeriod(t.productionEnteredAt)) {
      const policy = approvalPolicyOf(t.definition);
      const approvals = t.approvals.map((a) => ({ by: a.by, at: a.at, via: a.via }));
      // An approval the judge gave, where the policy lets it, is the approval the policy required.
      const byAnalysis = policy.byAnalysis === true && t.approvedByAnalysis !== undefined;
      if (!byAnalysis && !approvalsSatisfied(policy, approvals)) {
        const emergency = t.exceptions.find((e) => e.exception === 'emergency');
        report.withoutRequiredApprovals.push({
          release: t.release,
          approvals: approvals.map((a) => a.by),
          required: `${policy.minApprovals} of ${policy.approvers.join(', ') || 'nobody'}${policy.requiredGroups?.length ? `, one from each of ${policy.requiredGroups.join(', ')}` : ''}`,
          ...(emergency ? { emergency: `${emergency.by}: ${emergency.reason}${emergency.ticket ? ` (${emergency.ticket})` : ''}` } : {}),
        });
      }
      if (policy.require?.signature) {
        for (const a of t.approvals.filter((x) => !x.signed)) report.unsignedApprovals.push({ release: t.release, by: a.by, at: a.at });
      }
    }
    for (const e of t.exceptions.filter((x) => inPeriod(x.at))) {
      report.exceptions.push({ release: t.release, exception: e.exception, by: e.by, reason: e.reason, ...(e.ticket ? { ticket: e.ticket } : {}), environment: e.environment, passed: e.passed, at: e.at });
    }
    for (const r of t.rollbacks.filter((x) => inPeriod(x.at))) report.rollbacks.push({ release: t.release, how: `rollback over ${r.replaces} in ${r.environment}`, reason: r.reason, at: r.at });
    for (const r of t.rolloutRollbacks.filter((x) => inPeriod(x.at))) report.rollbacks.push({ release: t.release, how: `${r.rollout} rolled back`, reason: r.reason, at: r.at });
  }

  // Refusals: every refused message, freeze and quarantine in the period, whatever workflow took it.
  for (const { event } of periodEntries) {
    if (!inPeriod(event.at)) continue;
    if (event.kind === 'message' && event.result === 'refused') {
      report.refused.push({ workflowId: event.workflowId, what: event.message, by: event.by, refusal: event.refusal ?? '', at: event.at });
    } else if (event.kind === 'quarantine_refused') {
      report.refused.push({ workflowId: event.workflowId, what: `${event.command} ${event.service} ${event.version}`, by: event.by, refusal: event.refusal, at: event.at });
    } else if (event.kind === 'freeze_refused') {
      report.refused.push({ workflowId: event.workflowId, what: `freeze ${event.command}${event.id ? ` ${event.id}` : ''}`, by: event.by, refusal: event.refusal, at: event.at });
    }
  }
  const byTime = (a: { at: string }, b: { at: string }) => a.at.localeCompare(b.at);
  report.exceptions.sort(byTime);
  report.unsignedApprovals.sort(byTime);
  report.refused.sort(byTime);
  report.rollbacks.sort(byTime);
  return report;
}

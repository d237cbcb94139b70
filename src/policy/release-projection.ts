import type { Recorded, ReleaseEvent } from '../shared/decision-events';
import type { ReleaseStatus, StageRecord } from '../shared/release';
import { changeLine } from './schema-release';
import type { RolloutStatus } from '../shared/rollout';
import { type ApprovalRules, eligibleApprovers } from './approval';
import { approvalPolicyOf } from './approval-rules';

/**
 * How a release's status follows from its recorded events: the only place the status's
 * decisions are written. `observe*` functions carry what is not a decision (what the
 * release waits for, its rollout's latest report).
 */
export function applyReleaseEvent(status: ReleaseStatus, event: Recorded<ReleaseEvent>): void {
  switch (event.kind) {
    case 'stage_entered':
      closeCurrentStage(status, event.at, 'passed');
      status.stage = event.stage;
      status.waitingFor = undefined;
      status.timeline.push({ stage: event.stage, startedAt: event.at, note: event.note });
      return;
    case 'admitted':
      status.definition = event.definition;
      status.catalogue = event.catalogue;
      status.source = event.source;
      showApprovalPolicy(status, approvalPolicyOf(event.definition));
      return;
    case 'definition_from_starter':
      showApprovalPolicy(status, approvalPolicyOf(event.definition));
      return;
    case 'approval_opened':
      status.approvalDeadline = event.deadline;
      return;
    case 'approved_by_analysis':
      status.approvedByAnalysis = { environment: event.environment, reason: event.reason, at: event.at };
      return;
    case 'approval_escalated':
      status.escalatedTo = event.to;
      status.approvalDeadline = event.deadline;
      showApprovalPolicy(status, { ...approvalPolicyOf(status.definition!), escalatedTo: event.to });
      return;
    case 'message':
      if (event.result === 'refused') {
        status.ignored.push({ message: event.message, by: event.by, reason: event.refusal ?? 'refused', at: event.at });
      } else if (event.message === 'approve') {
        status.approvals.push({ by: event.by, comment: event.reason, ...(event.ticket ? { ticket: event.ticket } : {}), ...(event.signed ? { signed: event.signed } : {}), at: event.at, via: event.via });
      } else if (event.message === 'reject') {
        status.rejection = { by: event.by, reason: event.reason ?? '', at: event.at };
      } else if (event.message === 'approve_emergency' && status.emergency) {
        status.emergency.approval = { by: event.by, reason: event.reason ?? '', at: event.at };
      } else if (event.message === 'abort') {
        status.abort = { by: event.by, reason: event.reason ?? '', at: event.at };
      }
      // Steering a release accepts is the rollout's to decide: its own record says what it did.
      return;
    case 'abort_overruled':
      status.ignored.push({ message: 'abort', by: event.by, reason: event.reason, at: event.abortedAt });
      status.abort = undefined;
      return;
    case 'artifact_published':
      status.artifact = event.artifact;
      return;
    case 'provenance_recorded':
      status.provenance = event.statement;
      return;
    case 'deployed':
    case 'restored':
      status.environments[event.environment] = { version: event.version, url: event.url };
      return;
    case 'withdrawn':
      if (status.environments[event.environment]?.version === status.version) delete status.environments[event.environment];
      return;
    case 'change_held':
      status.hold = { environment: event.environment, kind: event.hold, until: event.until, untilLocal: event.untilLocal, reasons: event.reasons };
      // Without an instant, `untilLocal` says what must happen first (a freeze ended, a quarantine lifted).
      status.waitingFor = event.until === undefined ? `${event.reasons[0]}; it may deploy once ${event.untilLocal}` : `${event.reasons[0]}; it may deploy from ${event.untilLocal}`;
      return;
    case 'workspace_placed':
      status.hosts = { environments: {}, ...status.hosts, workspace: event.host };
      return;
    case 'environment_placed': {
      const shown = status.hosts ?? { environments: {} };
      status.hosts = { ...shown, environments: { ...shown.environments, [event.environment]: event.host } };
      return;
    }
    case 'change_allowed':
      status.hold = undefined;
      return;
    case 'change_excepted': {
      const { kind: _kind, seq: _seq, workflowId: _workflowId, ...exception } = event;
      status.exceptions = [...(status.exceptions ?? []), exception];
      status.hold = undefined;
      return;
    }
    case 'notification_failed':
      status.notificationFailures = [...(status.notificationFailures ?? []), event.failure];
      return;
    case 'change_classified':
      status.change = event.change;
      return;
    case 'migration_applied': {
      const { kind: _kind, seq: _seq, workflowId: _workflowId, at, ...applied } = event;
      status.migrations = [...(status.migrations ?? []), { ...applied, at }];
      return;
    }
    case 'migrations_current':
      return;
    case 'contract_approval_opened':
      status.contractApproval = { migrations: event.migrations, required: event.required };
      status.approvalsRequired = event.required;
      status.approvalDeadline = event.deadline;
      return;
    case 'contract_approved':
      status.contractApproval = { ...(status.contractApproval ?? { migrations: [], required: event.by.length }), approvedBy: event.by, at: event.at };
      return;
    case 'rollback_allowed':
      status.rollback = { reason: event.reason, replaced: [...(status.rollback?.replaced ?? []), { environment: event.environment, version: event.replaces }] };
      return;
    case 'finished': {
      const { outcome, reason } = event;
      closeCurrentStage(status, event.at, outcome === 'succeeded' ? 'passed' : outcome === 'aborted' ? 'cancelled' : 'failed', reason);
      status.outcome = outcome;
      status.reason = reason;
      status.hold = undefined;
      status.waitingFor = undefined;
      if (outcome === 'succeeded') {
        status.stage = 'done';
        status.timeline.push({ stage: 'done', startedAt: event.at, endedAt: event.at, result: 'passed' });
      }
      return;
    }
  }
}

/** Who may approve and how many must: the people the policy names, groups expanded. */
function showApprovalPolicy(status: ReleaseStatus, policy: ApprovalRules): void {
  status.approvalsRequired = policy.minApprovals;
  status.approvers = eligibleApprovers(policy);
}

function closeCurrentStage(status: ReleaseStatus, at: string, result: NonNullable<StageRecord['result']>, note?: string): void {
  const current = status.timeline[status.timeline.length - 1];
  if (current && !current.endedAt) {
    current.endedAt = at;
    current.result = result;
    if (note) current.note = note;
  }
}

/** What the release waits for now, in words (not a decision: it changes as work progresses). */
export function observeWaiting(status: ReleaseStatus, what: string | undefined): void {
  status.waitingFor = what;
}

/** The rollout's latest report (its own record holds its decisions). */
export function observeRollout(status: ReleaseStatus, rollout: RolloutStatus): void {
  status.rollout = rollout;
}

/** Markdown the Temporal UI shows as a release's current details. */
export function releaseDetails(s: ReleaseStatus): string {
  const lines = [`**${s.service} ${s.version}** (${s.commit.slice(0, 12)}) by ${s.author}`, '', `Stage: **${s.stage}**${s.outcome ? ` — outcome **${s.outcome}**` : ''}`];
  if (s.waitingFor) lines.push(`Waiting for: ${s.waitingFor}`);
  if (s.hold) lines.push(`Held before ${s.hold.environment} until ${s.hold.untilLocal}: ${s.hold.reasons.join('; ')}`);
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  if (s.emergency) {
    const approval = s.emergency.approval;
    lines.push(`**Emergency** (${s.emergency.ticket}): ${s.emergency.reason} — ${approval ? `approved by ${approval.by}: ${approval.reason}` : 'waiting for an emergency approver'}`);
  }
  for (const e of s.exceptions ?? []) lines.push(`Exception: ${e.exception} by ${e.by} passed ${e.environment}'s gate (${e.passed[0] ?? 'held'}): ${e.reason}`);
  for (const n of s.notificationFailures ?? []) lines.push(`Notification not delivered: ${n.event} to webhook ${n.webhook} (${n.origin}) after ${n.attempts} attempts: ${n.error}`);
  if (s.rollback) lines.push(`Rollback: ${s.rollback.reason}${s.rollback.replaced.map((r) => `; replaced ${r.version} in ${r.environment}`).join('')}`);
  if (s.approvalsRequired > 0) {
    lines.push(`Approvers: ${s.approvers.join(', ')} (${s.approvalsRequired} required)`);
    lines.push(`Approvals: ${s.approvals.length}/${s.approvalsRequired}${s.approvals.length ? ` (${s.approvals.map((a) => a.by).join(', ')})` : ''}`);
  }
  if (s.approvedByAnalysis) lines.push(`Approved by the analysis: ${s.approvedByAnalysis.reason}`);
  if (s.change) lines.push(changeLine(s.change));
  if (s.contractApproval) {
    const c = s.contractApproval;
    lines.push(`Contract step ${c.migrations.join(', ')}: ${c.required} approvals required${c.approvedBy ? `, approved by ${c.approvedBy.join(', ')}` : ''}`);
  }
  for (const m of s.migrations ?? []) lines.push(`Migration ${m.file} applied to ${m.environment} in ${m.durationMs} ms (sha256 ${m.checksum.slice(0, 12)}…, approved by ${m.approvedBy})`);
  if (s.source) lines.push(`Commit: ${s.source.commit} (${s.source.requested})`);
  if (s.catalogue) lines.push(`Rules: catalogue ${s.catalogue.digest}`);
  for (const [env, deployed] of Object.entries(s.environments)) {
    if (deployed) lines.push(`${env}: ${deployed.version} at ${deployed.url}`);
  }
  return lines.join('\n');
}

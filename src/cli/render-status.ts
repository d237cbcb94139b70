import type { ReleaseResult, ReleaseStatus } from '../shared/release';
import type { RolloutStatus } from '../shared/rollout';
import { changeLine } from '../policy/schema-release';

/** Human-readable views of a release for the terminal. */

export function stageLine(s: ReleaseStatus): string {
  const waiting = s.waitingFor ? ` — waiting for ${s.waitingFor}` : '';
  return `${s.service} ${s.version}: ${s.outcome ? `${s.outcome} (stage ${s.stage})` : s.stage}${waiting}`;
}

export function renderStatus(s: ReleaseStatus): string {
  const lines = [
    `Release ${s.service} ${s.version}  (${s.workflowId})`,
    `  commit ${s.commit}  author ${s.author}${s.startedBy ? `  started by ${s.startedBy}` : ''}`,
    `  stage  ${s.stage}${s.outcome ? `   outcome ${s.outcome}` : ''}`,
  ];
  if (s.reason) lines.push(`  reason ${s.reason}`);
  if (s.rollback) lines.push(`  rollback ${s.rollback.reason}${s.rollback.replaced.map((r) => `; replaced ${r.version} in ${r.environment}`).join('')}`);
  if (s.waitingFor) lines.push(`  waiting for ${s.waitingFor}`);
  if (s.source) lines.push(`  source ${s.source.repository}${s.source.directory !== '.' ? ` (${s.source.directory})` : ''} at ${s.source.commit} (${s.source.requested}, committed ${s.source.committedAt})`);
  if (s.catalogue) lines.push(`  rules  catalogue ${s.catalogue.digest}${s.catalogue.revision ? ` (commit ${s.catalogue.revision})` : ''} from ${s.catalogue.source}`);
  if (s.change) lines.push(`  change ${changeLine(s.change)}`);
  for (const m of s.migrations ?? []) lines.push(`  migration ${m.environment.padEnd(10)} ${m.file} applied in ${m.durationMs} ms, sha256 ${m.checksum.slice(0, 12)}…, approved by ${m.approvedBy}`);
  if (s.artifact) lines.push(`  artifact ${s.artifact.digest} (${s.artifact.sizeBytes} bytes)`);
  if (s.hosts) {
    const where = [...(s.hosts.workspace ? [`checkout on ${s.hosts.workspace}`] : []), ...Object.entries(s.hosts.environments).map(([env, host]) => `${env} on ${host}`)];
    lines.push(`  hosts  ${where.join(', ')}`);
  }
  for (const [env, deployed] of Object.entries(s.environments)) {
    if (deployed) lines.push(`  ${env.padEnd(10)} ${deployed.version} at ${deployed.url}`);
  }
  if (s.approvalsRequired > 0) {
    lines.push(`  approvals ${s.approvals.length}/${s.approvalsRequired} from [${s.approvers.join(', ')}]${s.approvalDeadline ? ` until ${s.approvalDeadline}` : ''}`);
    if (s.escalatedTo) lines.push(`    escalated to ${s.escalatedTo.join(', ')} when the first deadline passed`);
    for (const a of s.approvals) lines.push(`    ✔ ${a.by} at ${a.at} via ${a.via}${a.ticket ? ` (ticket ${a.ticket})` : ''}${a.comment ? `: ${a.comment}` : ''}`);
    if (s.approvedByAnalysis) lines.push(`    ✔ the analysis at ${s.approvedByAnalysis.at}: ${s.approvedByAnalysis.reason}`);
  }
  if (s.emergency) {
    const approval = s.emergency.approval;
    lines.push(`  emergency ${s.emergency.ticket}: ${s.emergency.reason}`);
    lines.push(approval ? `    ✔ approved by ${approval.by} at ${approval.at}: ${approval.reason}` : '    waiting for an emergency approver (gantry release approve-emergency)');
  }
  for (const e of s.exceptions ?? []) lines.push(`  exception: ${e.exception} by ${e.by} at ${e.at} passed the gate before ${e.environment} (${e.passed[0] ?? 'held'}): ${e.reason}`);
  if (s.rejection) lines.push(`  rejected by ${s.rejection.by}: ${s.rejection.reason}`);
  if (s.abort) lines.push(`  aborted by ${s.abort.by}: ${s.abort.reason}`);
  for (const n of s.notificationFailures ?? []) {
    lines.push(`  notification not delivered: ${n.event} (${n.kind} #${n.seq}) to webhook ${n.webhook} at ${n.origin}, ${n.attempts} attempts, gave up at ${n.at}: ${n.error}`);
  }
  for (const i of s.ignored) lines.push(`  ignored ${i.message} by ${i.by}: ${i.reason}`);
  if (s.rollout) lines.push(...renderRollout(s.rollout));
  lines.push('  timeline');
  for (const t of s.timeline) {
    lines.push(`    ${t.stage.padEnd(11)} ${t.startedAt}${t.endedAt ? ` → ${t.endedAt}` : ' …'} ${t.result ?? ''}${t.note ? ` (${t.note})` : ''}`);
  }
  return lines.join('\n');
}

export function renderResult(r: ReleaseResult, service: string, version: string): string {
  return `${service} ${version} ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`;
}

function renderRollout(r: RolloutStatus): string[] {
  const lines = [
    `  rollout (${r.strategy}) ${r.phase}: ${r.weights.canary} % → ${r.canaryVersion}, ${r.weights.stable} % → ${r.stableVersion ?? 'none'}${r.routerUrl ? ` via ${r.routerUrl}` : ''}`,
  ];
  if (r.steps.length) lines.push(`    steps ${r.steps.map((st, i) => (i === r.step ? `[${st.weight}]` : `${st.weight}`)).join(' → ')}`);
  if (r.nextCheckAt) lines.push(`    next check ${r.nextCheckAt}`);
  if (r.soak) lines.push(`    soak: ${r.soak.done} of ${r.soak.planned} checks passed${r.soak.extended ? `; ${r.soak.extended}` : ''}`);
  if (r.waitingForMetrics) lines.push(`    waiting for metrics: ${r.waitingForMetrics}`);
  if (r.waitingForAuditStore) lines.push(`    waiting for ${r.waitingForAuditStore}`);
  if (r.hostUnavailable) lines.push(`    host not answering: ${r.hostUnavailable}`);
  if (r.committedAt) lines.push(`    promotion committed at ${r.committedAt}`);
  if (r.pausedBecause) lines.push(`    paused: ${r.pausedBecause}`);
  for (const e of r.exceptions ?? []) lines.push(`    exception: ${e.exception} by ${e.by} at ${e.at} passed the hold at ${e.weight ?? 0} % (${e.passed[0] ?? 'held'}): ${e.reason}`);
  const shown = r.analyses.slice(-5);
  shown.forEach((a, i) => {
    // A judged check's summary starts with its own verdict and score ("marginal: score 60 …").
    lines.push(`    ${a.at} at ${a.weight} %: ${a.judged ? a.summary : `${a.verdict} — ${a.summary}`}`);
    // The figures behind the latest verdict; earlier ones are in --json.
    if (i === shown.length - 1) for (const figure of a.figures ?? []) lines.push(`      ${figure}`);
  });
  if (r.analyses.length > 5) lines.push(`    (${r.analyses.length - 5} earlier analyses in --json)`);
  for (const d of r.decisions) {
    lines.push(`    ${d.kind} by ${d.by} at ${d.at}${d.reason ? `: ${d.reason}` : ''}${d.result === 'refused' ? ` — refused: ${d.refusal}` : ''}`);
  }
  if (r.reason) lines.push(`    reason: ${r.reason}`);
  return lines;
}

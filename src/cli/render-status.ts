import type { ReleaseResult, ReleaseStatus } from '../shared/release';

/** Human-readable views of a release for the terminal. */

export function stageLine(s: ReleaseStatus): string {
  const waiting = s.waitingFor ? ` — waiting for ${s.waitingFor}` : '';
  return `${s.service} ${s.version}: ${s.outcome ? `${s.outcome} (stage ${s.stage})` : s.stage}${waiting}`;
}

export function renderStatus(s: ReleaseStatus): string {
  const lines = [
    `Release ${s.service} ${s.version}  (${s.workflowId})`,
    `  commit ${s.commit}  author ${s.author}`,
    `  stage  ${s.stage}${s.outcome ? `   outcome ${s.outcome}` : ''}`,
  ];
  if (s.reason) lines.push(`  reason ${s.reason}`);
  if (s.waitingFor) lines.push(`  waiting for ${s.waitingFor}`);
  if (s.artifact) lines.push(`  artifact ${s.artifact.digest} (${s.artifact.sizeBytes} bytes)`);
  for (const [env, deployed] of Object.entries(s.environments)) {
    if (deployed) lines.push(`  ${env.padEnd(10)} ${deployed.version} at ${deployed.url}`);
  }
  if (s.approvalsRequired > 0) {
    lines.push(`  approvals ${s.approvals.length}/${s.approvalsRequired} from [${s.approvers.join(', ')}]${s.approvalDeadline ? ` until ${s.approvalDeadline}` : ''}`);
    for (const a of s.approvals) lines.push(`    ✔ ${a.by} at ${a.at} via ${a.via}${a.comment ? `: ${a.comment}` : ''}`);
  }
  if (s.rejection) lines.push(`  rejected by ${s.rejection.by}: ${s.rejection.reason}`);
  if (s.abort) lines.push(`  aborted by ${s.abort.by}: ${s.abort.reason}`);
  for (const i of s.ignored) lines.push(`  ignored ${i.message} by ${i.by}: ${i.reason}`);
  lines.push('  timeline');
  for (const t of s.timeline) {
    lines.push(`    ${t.stage.padEnd(11)} ${t.startedAt}${t.endedAt ? ` → ${t.endedAt}` : ' …'} ${t.result ?? ''}${t.note ? ` (${t.note})` : ''}`);
  }
  return lines.join('\n');
}

export function renderResult(r: ReleaseResult, service: string, version: string): string {
  return `${service} ${version} ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`;
}

import type { DoraFigures } from './dora';
import type { ReviewReport } from './review-report';
import { formatDuration } from '../shared/duration-text';

const percent = (rate: number | undefined) => (rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)} %`);
const duration = (ms: number | undefined) => (ms === undefined ? 'n/a' : formatDuration(Math.round(ms)));
const band = (b: string | undefined) => (b ? ` (${b})` : '');

/** One line of DORA figures: "12 deploys (0.13/day, high); lead time median 2h (elite); …". */
export function renderFigures(f: DoraFigures): string {
  return [
    `${f.deployments} deploy${f.deployments === 1 ? '' : 's'} (${f.deploymentsPerDay.toFixed(2)}/day${band(f.bands.deploymentFrequency)})`,
    `lead time median ${duration(f.leadTime.medianMs)}${band(f.bands.leadTime)}, p90 ${duration(f.leadTime.p90Ms)}`,
    `change failure rate ${percent(f.changeFailureRate)}${band(f.bands.changeFailureRate)} (${f.failures} of ${f.productionChanges})`,
    `recovery median ${duration(f.recovery.medianMs)}${band(f.bands.recoveryTime)}${f.recovery.unrecovered ? `, ${f.recovery.unrecovered} not recovered` : ''}`,
  ].join('; ');
}

/** The review as text: the chain's state first, then the figures, then every finding. */
export function renderReview(r: ReviewReport): string {
  const lines: string[] = [];
  lines.push(
    r.chain.intact
      ? `The audit chain is intact (${r.chain.entries} entries, head ${r.chain.head}).`
      : `WARNING: the audit chain does NOT verify: ${r.chain.firstBad.problem}. These figures come from a record that was changed.`,
  );
  const range = `${r.period.since} to ${r.period.until}`;
  // A period given by its bounds is labelled with them: they are said once.
  const period = r.period.label === range ? range : `${r.period.label}: ${range}`;
  lines.push(`Review of ${period}${r.service ? ` for ${r.service}` : ''}, ${r.releases} release${r.releases === 1 ? '' : 's'} with a decision in it.`);
  if (r.releases === 0) {
    lines.push('Nothing happened in this period: no release, so no figures.');
    return lines.join('\n');
  }
  lines.push('', `Overall: ${renderFigures(r.dora.overall)}`);
  for (const [service, f] of Object.entries(r.dora.services)) lines.push(`  ${service}: ${renderFigures(f)}`);
  lines.push('', 'By month:');
  for (const [month, f] of Object.entries(r.dora.months)) lines.push(`  ${month}: ${renderFigures(f)}`);
  if (r.dora.failuresList.length) {
    lines.push('', 'Failed changes:');
    for (const f of r.dora.failuresList) lines.push(`  ${f.release}: ${f.how}${f.reason ? ` (${f.reason})` : ''} at ${f.failedAt}; ${f.recoveredAt ? `recovered in ${duration(f.recoveryMs)}` : 'not recovered in the record'}`);
  }
  const c = r.compliance;
  lines.push('', 'Compliance:');
  lines.push(`  releases in production without the approvals their policy required: ${c.withoutRequiredApprovals.length || 'none'}`);
  for (const x of c.withoutRequiredApprovals) lines.push(`    ${x.release}: approved by ${x.approvals.join(', ') || 'nobody'}; required ${x.required}${x.emergency ? `; emergency approved by ${x.emergency}` : ''}`);
  lines.push(`  gates passed by an exception: ${c.exceptions.length || 'none'}`);
  for (const x of c.exceptions) lines.push(`    ${x.release} ${x.environment}: ${x.exception} by ${x.by} at ${x.at}${x.ticket ? ` (${x.ticket})` : ''}: ${x.reason}; it passed ${x.passed.join('; ')}`);
  lines.push(`  unsigned approvals where signatures were required: ${c.unsignedApprovals.length || 'none'}`);
  for (const x of c.unsignedApprovals) lines.push(`    ${x.release}: ${x.by} at ${x.at}`);
  lines.push(`  refused attempts: ${c.refused.length || 'none'}`);
  for (const x of c.refused) lines.push(`    ${x.at} ${x.by}: ${x.what} on ${x.workflowId}: ${x.refusal}`);
  lines.push(`  rollbacks: ${c.rollbacks.length || 'none'}`);
  for (const x of c.rollbacks) lines.push(`    ${x.release} at ${x.at}: ${x.how}: ${x.reason}`);
  return lines.join('\n');
}

import type { EnvironmentRecord } from '../shared/environment';

/** One line per environment: what runs there, since when, by which release, and who deploys or waits. */
export function environmentLine(r: EnvironmentRecord): string {
  const current = r.current ? `${r.current.version} since ${r.current.since} (${r.current.release})` : 'nothing deployed';
  const turns = r.holder ? `; deploying: ${r.holder.workflowId}${r.queue.length ? `, waiting: ${r.queue.map((q) => q.workflowId).join(', ')}` : ''}` : '';
  return `${`${r.service}/${r.environment}`.padEnd(28)} ${current}${r.host ? ` on ${r.host}` : ''}${turns}`;
}

/** The whole record of one environment. */
export function renderEnvironment(r: EnvironmentRecord): string {
  const lines = [`Environment ${r.environment} of ${r.service}`];
  lines.push(r.current ? `  runs     ${r.current.version} (${r.current.digest}) at ${r.current.url}, since ${r.current.since}, by ${r.current.release}` : '  runs     nothing deployed by Gantry yet');
  if (r.previous) lines.push(`  before   ${r.previous.version} (${r.previous.digest}), from ${r.previous.since}, by ${r.previous.release}`);
  lines.push(`  host     ${r.host ?? 'not placed yet (the first release there places it on the worker host that takes it)'}`);
  lines.push(`  turn     ${r.holder ? `${r.holder.workflowId} is deploying` : 'free'}${r.queue.length ? `; waiting: ${r.queue.map((q) => q.workflowId).join(', ')}` : ''}`);
  if (r.history.length) {
    lines.push('  recent');
    for (const e of [...r.history].reverse()) lines.push(`    ${e.at} ${e.kind.padEnd(8)} ${e.version} by ${e.release}`);
  }
  return lines.join('\n');
}

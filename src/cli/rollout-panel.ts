import { type RolloutStatus, rolloutHeldBy } from '../shared/rollout';

/**
 * How a person follows a progressive rollout: which step, the traffic split as a bar,
 * how far the soak is and when the next check comes, and the last verdict in its own
 * words. A terminal redraws these lines in place; a CI log gets `rolloutLogLine` each time
 * it changes.
 */
export function rolloutPanel(r: RolloutStatus, nowMs: number, barWidth = 20): string[] {
  const lines = [`  ${trafficLine(r)}  ${bar(r.weights.canary, barWidth)}`];
  if (r.soak && r.strategy === 'canary') {
    const next = r.nextCheckAt ? Date.parse(r.nextCheckAt) - nowMs : undefined;
    const soakMs = r.step !== undefined ? r.steps[r.step]?.soakMs : undefined;
    // The checks left after the next one come one interval apart; the interval is the soak over its checks.
    const left = next !== undefined && soakMs && r.soak.planned > 0 ? Math.max(0, next) + Math.max(0, r.soak.planned - r.soak.done - 1) * (soakMs / r.soak.planned) : undefined;
    lines.push(
      `  soak     ${r.soak.done} of ${r.soak.planned} checks passed${next !== undefined ? ` · next check ${next > 0 ? `in ${seconds(next)}` : 'now'}` : ''}${left !== undefined ? ` · about ${seconds(left)} left in this step` : ''}`,
    );
  } else if (r.nextCheckAt) {
    const next = Date.parse(r.nextCheckAt) - nowMs;
    lines.push(`  checks   next ${next > 0 ? `in ${seconds(next)}` : 'now'}`);
  }
  const last = r.analyses[r.analyses.length - 1];
  if (last) {
    lines.push(`  last     ${last.judged ? `at ${last.weight} %: ${last.summary}` : `${last.verdict} at ${last.weight} %: ${last.summary}`}`);
    for (const figure of last.figures ?? []) lines.push(`           ${figure}`);
  }
  const stopped = rolloutHeldBy(r);
  if (stopped) lines.push(`  held     ${stopped}`);
  return lines;
}

/** One line for a CI log: the same facts, without the countdowns (which change every second). */
export function rolloutLogLine(r: RolloutStatus): string {
  const last = r.analyses[r.analyses.length - 1];
  const soak = r.soak && r.strategy === 'canary' ? `; ${r.soak.done}/${r.soak.planned} checks passed` : '';
  const stopped = rolloutHeldBy(r);
  const lastCheck = last ? `; last check ${last.judged ? last.summary : `${last.verdict}: ${last.summary}`}` : '';
  return `${trafficLine(r)}${soak}${lastCheck}${stopped ? `; held: ${stopped}` : ''}`;
}

function trafficLine(r: RolloutStatus): string {
  const stable = r.stableVersion ?? 'stable';
  if (r.strategy === 'blueGreen') return `blue/green ${r.phase.replace(/_/g, ' ')}: green ${r.canaryVersion} ${r.weights.canary} % · blue ${stable} ${r.weights.stable} %`;
  const step = r.step !== undefined && r.steps.length ? `step ${r.step + 1} of ${r.steps.length}` : r.phase;
  return `canary ${step.replace(/_/g, ' ')}: ${r.canaryVersion} ${r.weights.canary} % · ${stable} ${r.weights.stable} %`;
}

function bar(percent: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

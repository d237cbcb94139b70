import type { Recorded, RolloutEvent } from '../shared/decision-events';
import type { RolloutStatus } from '../shared/rollout';

/**
 * How a rollout's status follows from its recorded events: the only place the status's
 * decisions are written. `observeSoak` carries what is not a decision (when the next
 * check is due, how far the soak got).
 */
export function applyRolloutEvent(status: RolloutStatus, event: Recorded<RolloutEvent>): void {
  switch (event.kind) {
    case 'stable_found':
      status.stableVersion = event.version;
      status.routerUrl = event.routerUrl;
      return;
    case 'phase':
      status.phase = event.phase;
      return;
    case 'metrics_waiting':
      status.phase = 'waiting_for_metrics';
      status.waitingForMetrics = event.why;
      return;
    case 'metrics_online':
      status.waitingForMetrics = undefined;
      return;
    case 'traffic':
      if (event.step !== undefined) status.step = event.step;
      status.weights = event.weights;
      return;
    case 'analysis':
      status.analyses.push({
        at: event.at,
        weight: event.weight,
        verdict: event.verdict,
        summary: event.summary,
        ...(event.judgement
          ? {
              judged: { verdict: event.judgement.verdict, ...(event.judgement.score !== undefined ? { score: event.judgement.score } : {}) },
              figures: event.judgement.metrics.map((metric) => `${metric.name}${metric.critical ? ' (critical)' : ''}: ${metric.explanation}`),
            }
          : {}),
      });
      return;
    case 'early_stop':
      status.analyses.push({ at: event.at, weight: event.weight, verdict: 'fail', summary: event.summary, figures: earlyStopFigures(event) });
      return;
    case 'message':
      status.decisions.push({
        kind: event.message as RolloutStatus['decisions'][number]['kind'],
        by: event.by,
        reason: event.reason,
        at: event.at,
        requestId: event.requestId,
        result: event.result,
        refusal: event.refusal,
      });
      if (event.result !== 'accepted') return;
      if (event.message === 'pause') status.pausedBecause = `paused by ${event.by}${event.reason ? `: ${event.reason}` : ''}`;
      // A resume or a promote also cancels a pause still pending (sent while the rollout was
      // busy): the status must not keep a stale "Paused:" line.
      if (event.message === 'resume' || event.message === 'promote' || event.message === 'promote_full') status.pausedBecause = undefined;
      return;
    case 'held':
      status.phase = 'paused';
      status.nextCheckAt = undefined;
      if (event.why) status.pausedBecause = event.why;
      if (event.changeGate) status.changeGate = event.why;
      return;
    case 'change_excepted': {
      const { kind: _kind, seq: _seq, workflowId: _workflowId, ...exception } = event;
      status.exceptions = [...(status.exceptions ?? []), exception];
      status.changeGate = undefined;
      return;
    }
    case 'resumed':
      status.pausedBecause = undefined;
      status.changeGate = undefined;
      status.phase = event.phase;
      return;
    case 'committed':
      status.committedAt = event.at;
      status.phase = 'promoting';
      status.nextCheckAt = undefined;
      status.pausedBecause = undefined;
      return;
    case 'promoted':
      status.weights = { stable: 0, canary: 100 };
      status.stableVersion = event.version;
      status.phase = 'promoted';
      status.nextCheckAt = undefined;
      // A pause that arrived while the promotion ran has nothing left to hold.
      status.pausedBecause = undefined;
      status.reason = event.reason;
      return;
    case 'rolling_back':
      status.phase = 'rolling_back';
      // Steering ends here, so a pause still pending would only leave a stale line in the status.
      status.pausedBecause = undefined;
      status.waitingForMetrics = undefined;
      return;
    case 'host_unanswered':
      status.hostUnavailable = event.why;
      return;
    case 'host_answered':
      status.hostUnavailable = undefined;
      return;
    case 'rolled_back':
      status.weights = { stable: 100, canary: 0 };
      status.phase = 'rolled_back';
      status.nextCheckAt = undefined;
      status.reason = event.reason;
      return;
  }
}

/** Where a soak stands: when its next check is due and how many of its checks are done. */
export function observeSoak(status: RolloutStatus, soak: Pick<RolloutStatus, 'nextCheckAt'> & Partial<Pick<RolloutStatus, 'soak'>>): void {
  status.nextCheckAt = soak.nextCheckAt;
  if ('soak' in soak) status.soak = soak.soak;
}

/** What the rollout, its work done, waits for before it ends (not a decision): the audit store to take its record, or nothing. */
export function observeAuditWait(status: RolloutStatus, what: string | undefined): void {
  status.waitingForAuditStore = what;
}

/** Markdown the Temporal UI shows as a rollout's current details. */
export function rolloutDetails(s: RolloutStatus, service: string, environment: string): string {
  const lines = [
    `**${s.strategy}** of ${service} ${s.canaryVersion}${s.stableVersion ? ` (stable ${s.stableVersion})` : ''} in ${environment}`,
    '',
    `Phase: **${s.phase}** — traffic ${s.weights.canary} % new, ${s.weights.stable} % stable`,
  ];
  if (s.step !== undefined && s.steps.length) lines.push(`Step ${s.step + 1} of ${s.steps.length} (${s.steps[s.step]?.weight} %)`);
  if (s.nextCheckAt) lines.push(`Next check: ${s.nextCheckAt}${s.soak ? ` (${s.soak.done} of ${s.soak.planned} checks of this step done)` : ''}`);
  if (s.soak?.extended) lines.push(`Soak: ${s.soak.extended}`);
  if (s.waitingForMetrics) lines.push(`Waiting for metrics: ${s.waitingForMetrics}`);
  if (s.waitingForAuditStore) lines.push(`Waiting for ${s.waitingForAuditStore}`);
  if (s.hostUnavailable) lines.push(`Host not answering: ${s.hostUnavailable}`);
  if (s.committedAt) lines.push(`Promotion committed at ${s.committedAt}`);
  if (s.pausedBecause) lines.push(`Paused: ${s.pausedBecause}`);
  const last = s.analyses[s.analyses.length - 1];
  if (last) {
    lines.push(`Last analysis (${last.weight} %): ${last.verdict} — ${last.summary}`);
    for (const figure of last.figures ?? []) lines.push(`- ${figure}`);
  }
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  return lines.join('\n');
}

/** The early stop's figures, one line each: the evidence, and the counts it rests on. */
export function earlyStopFigures(event: Extract<RolloutEvent, { kind: 'early_stop' }>): string[] {
  const latency = event.signal === 'latency';
  const what = latency ? 'slow requests' : 'errors';
  const bad = (t: { errors: number; slow?: number }) => (latency ? (t.slow ?? 0) : t.errors);
  const rate = (t: { requests: number; errors: number; slow?: number }) => (t.requests > 0 ? `${Number(((100 * bad(t)) / t.requests).toPrecision(3))} %` : 'n/a');
  return [
    `evidence ${Number(event.evidence.toPrecision(3))} ≥ 1/alpha = ${Number((1 / event.alpha).toPrecision(3))} (always-valid p = ${event.alwaysValidP.toExponential(1)}): ${event.canaryEvents} canary and ${event.stableEvents} stable ${what} counted`,
    `canary ${bad(event.canary)}/${event.canary.requests} ${what} (${rate(event.canary)}) vs stable ${bad(event.stable)}/${event.stable.requests} (${rate(event.stable)}) in the ${Number((event.afterMs / 1000).toFixed(1))} s before the stop${latency ? `; slow: over ${event.slowerThanMs} ms` : ''}`,
  ];
}

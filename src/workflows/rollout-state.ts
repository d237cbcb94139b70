import { getExternalWorkflowHandle, log, setCurrentDetails, setHandler } from '@temporalio/workflow';
import {
  type RolloutInput,
  type RolloutStatus,
  type SteerPayload,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  rolloutProgressSignal,
  rolloutStatusQuery,
} from '../shared/rollout';

/**
 * State shared by the canary and blue/green rollouts: the status people query, the
 * requests people made (pause, resume, promote, rollback), and progress reports to the
 * release so its own status shows the traffic split.
 */
export class RolloutState {
  readonly status: RolloutStatus;
  paused = false;
  /** A promote that has not been acted on yet. */
  promoteRequest?: { full: boolean };
  rollbackRequest?: SteerPayload;

  constructor(
    readonly input: RolloutInput,
    strategy: RolloutStatus['strategy'],
  ) {
    this.status = {
      strategy,
      phase: 'starting',
      canaryVersion: input.version,
      weights: { stable: 100, canary: 0 },
      steps: strategy === 'canary' ? input.canary.steps.map((s) => ({ weight: s.weight, soakMs: s.soak })) : [],
      analyses: [],
      decisions: [],
    };
    this.registerHandlers();
  }

  now(): string {
    return new Date().toISOString();
  }

  private registerHandlers(): void {
    const record = (kind: RolloutStatus['decisions'][number]['kind'], p: SteerPayload) =>
      this.status.decisions.push({ kind, by: p?.by ?? '(unknown)', reason: p?.reason, at: this.now() });
    setHandler(pauseSignal, (p) => {
      record('pause', p);
      this.paused = true;
      this.status.pausedBecause = `paused by ${p?.by ?? 'someone'}${p?.reason ? `: ${p.reason}` : ''}`;
      this.report();
    });
    setHandler(resumeSignal, (p) => {
      record('resume', p);
      // Also cancels a pause still pending (sent while starting or verifying): the
      // rollout then passes its hold before traffic moves without stopping.
      this.paused = false;
      this.status.pausedBecause = undefined;
      this.report();
    });
    setHandler(promoteSignal, (p) => {
      record(p?.full ? 'promote_full' : 'promote', p);
      this.promoteRequest = { full: Boolean(p?.full) || this.promoteRequest?.full === true };
      // A promote overrules a pause, held or still pending: say so at once, or the status
      // keeps a stale "Paused:" line and the release refuses a new pause as pending.
      this.paused = false;
      this.status.pausedBecause = undefined;
      this.report();
    });
    setHandler(rollbackSignal, (p) => {
      record('rollback', p);
      this.rollbackRequest = p;
      this.report();
    });
    setHandler(rolloutStatusQuery, () => this.status);
  }

  /** Publishes a change: to the UI's current details and to the release's status. */
  report(): void {
    const s = this.status;
    const lines = [
      `**${s.strategy}** of ${this.input.service} ${s.canaryVersion}${s.stableVersion ? ` (stable ${s.stableVersion})` : ''} in ${this.input.environment}`,
      '',
      `Phase: **${s.phase}** — traffic ${s.weights.canary} % new, ${s.weights.stable} % stable`,
    ];
    if (s.step !== undefined && s.steps.length) lines.push(`Step ${s.step + 1} of ${s.steps.length} (${s.steps[s.step]?.weight} %)`);
    if (s.nextCheckAt) lines.push(`Next check: ${s.nextCheckAt}`);
    if (s.pausedBecause) lines.push(`Paused: ${s.pausedBecause}`);
    const last = s.analyses[s.analyses.length - 1];
    if (last) lines.push(`Last analysis (${last.weight} %): ${last.verdict} — ${last.summary}`);
    if (s.reason) lines.push(`Reason: ${s.reason}`);
    setCurrentDetails(lines.join('\n'));
    getExternalWorkflowHandle(this.input.releaseWorkflowId)
      .signal(rolloutProgressSignal, s)
      .catch((err) => log.warn('could not report rollout progress to the release', { error: String(err) }));
  }
}

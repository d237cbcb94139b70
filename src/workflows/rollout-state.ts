import { getExternalWorkflowHandle, log, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { checkSteer } from '../policy/steering';
import {
  type RolloutInput,
  type SteerDecision,
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
 * What a stage that waits on people needs of a rollout (see `soakAndAnalyse` and
 * `waitWhilePaused`): the steering requests, the status it keeps, and a way to publish it.
 */
export type SteeredRollout = Pick<RolloutState, 'paused' | 'promoteRequest' | 'rollbackRequest' | 'report' | 'now'> & {
  readonly status: Pick<RolloutStatus, 'phase' | 'nextCheckAt' | 'soak' | 'analyses' | 'pausedBecause'>;
};

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
  private revision = 0;

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

  /** Whether the promotion has passed the point of no return (see `commitPromotion`). */
  get committed(): boolean {
    return this.status.committedAt !== undefined;
  }

  /**
   * Every message is checked here against the rollout's own state, the one source of
   * truth (the release's view may be a report behind), and recorded as accepted or
   * refused with the reason; the release answers the person from that record.
   */
  private registerHandlers(): void {
    const steer = (kind: SteerDecision['kind'], p: SteerPayload | undefined, apply: () => void) => {
      const verdict = checkSteer(kind === 'promote_full' ? 'promote' : kind, this.status, false, p?.by, p?.reason);
      this.status.decisions.push({
        kind,
        by: p?.by ?? '(unknown)',
        reason: p?.reason,
        at: this.now(),
        requestId: p?.requestId,
        result: verdict.ok ? 'accepted' : 'refused',
        refusal: verdict.ok ? undefined : verdict.reason,
      });
      if (verdict.ok) apply();
      this.report();
    };
    setHandler(pauseSignal, (p) =>
      steer('pause', p, () => {
        // The later decision wins: a pause after a promote holds the rollout (the promote is
        // dropped; the decisions show the order), as a promote after a pause resumes it.
        this.promoteRequest = undefined;
        this.paused = true;
        this.status.pausedBecause = `paused by ${p?.by ?? 'someone'}${p?.reason ? `: ${p.reason}` : ''}`;
      }),
    );
    setHandler(resumeSignal, (p) =>
      steer('resume', p, () => {
        // Also cancels a pause still pending (sent while starting or verifying): the
        // rollout then passes its hold before traffic moves without stopping.
        this.paused = false;
        this.status.pausedBecause = undefined;
      }),
    );
    setHandler(promoteSignal, (p) =>
      steer(p?.full ? 'promote_full' : 'promote', p, () => {
        this.promoteRequest = { full: Boolean(p?.full) || this.promoteRequest?.full === true };
        // A promote overrules a pause, held or still pending: say so at once, or the status
        // keeps a stale "Paused:" line and the release refuses a new pause as pending.
        this.paused = false;
        this.status.pausedBecause = undefined;
      }),
    );
    setHandler(rollbackSignal, (p) =>
      steer('rollback', p, () => {
        this.rollbackRequest = p;
      }),
    );
    setHandler(rolloutStatusQuery, () => this.status);
  }

  /** Publishes a change: to the UI's current details and to the release's status. */
  report(): void {
    const s = this.status;
    this.revision += 1;
    s.revision = this.revision;
    const lines = [
      `**${s.strategy}** of ${this.input.service} ${s.canaryVersion}${s.stableVersion ? ` (stable ${s.stableVersion})` : ''} in ${this.input.environment}`,
      '',
      `Phase: **${s.phase}** — traffic ${s.weights.canary} % new, ${s.weights.stable} % stable`,
    ];
    if (s.step !== undefined && s.steps.length) lines.push(`Step ${s.step + 1} of ${s.steps.length} (${s.steps[s.step]?.weight} %)`);
    if (s.nextCheckAt) lines.push(`Next check: ${s.nextCheckAt}${s.soak ? ` (${s.soak.done} of ${s.soak.planned} checks of this step done)` : ''}`);
    if (s.soak?.extended) lines.push(`Soak: ${s.soak.extended}`);
    if (s.waitingForMetrics) lines.push(`Waiting for metrics: ${s.waitingForMetrics}`);
    if (s.hostUnavailable) lines.push(`Host not answering: ${s.hostUnavailable}`);
    if (s.committedAt) lines.push(`Promotion committed at ${s.committedAt}`);
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

import { getExternalWorkflowHandle, log, patched, setHandler } from '@temporalio/workflow';
import { applyRolloutEvent, observeAuditWait, observeSoak, rolloutDetails } from '../policy/rollout-projection';
import { checkSteer } from '../policy/steering';
import type { EarlyStopEvidence } from '../policy/early-stop-signals';
import { checkRole } from '../policy/authority';
import { type RolloutEvent, decisionsQuery } from '../shared/decision-events';
import { DecisionRecord } from './decision-record';
import type { CalendarWatch } from './change-window';
import {
  type ChangeException,
  type RolloutInput,
  changeExceptionSignal,
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
export type SteeredRollout = Pick<RolloutState, 'paused' | 'promoteRequest' | 'rollbackRequest' | 'report' | 'now' | 'record' | 'observeSoak' | 'earlyStop'> & {
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
  /** Told by the change calendar when it changes, while a freeze holds the canary. */
  calendarWatch?: CalendarWatch;
  /** The release's approved emergency: it passes every change gate of the ramp. */
  emergency?: ChangeException;
  /** A process owner's override of the change gate holding the canary now. */
  override?: ChangeException;
  /** The early stop's evidence so far: one sequential test for the whole rollout (see soakAndAnalyse). */
  earlyStop?: EarlyStopEvidence;
  private revision = 0;
  /** Every decision of this rollout, in order: its status, UI details and audit follow from it. */
  readonly decisions: DecisionRecord<RolloutEvent>;

  constructor(
    readonly input: RolloutInput,
    strategy: RolloutStatus['strategy'],
  ) {
    this.emergency = input.emergency;
    this.status = {
      strategy,
      phase: 'starting',
      canaryVersion: input.version,
      weights: { stable: 100, canary: 0 },
      steps: strategy === 'canary' ? input.canary.steps.map((s) => ({ weight: s.weight, soakMs: s.soak })) : [],
      analyses: [],
      decisions: [],
    };
    this.decisions = new DecisionRecord<RolloutEvent>({
      apply: (event) => applyRolloutEvent(this.status, event),
      details: () => rolloutDetails(this.status, input.service, input.environment),
    });
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
      const action = kind === 'promote_full' ? 'promote' : kind;
      const steer = checkSteer(action, this.status, false, p?.by, p?.reason);
      // Sent straight to the rollout (not through its release), a message answers to the same roles.
      const verdict = steer.ok && this.input.authority ? checkRole(action, p?.by, this.input.authority) : steer;
      this.record({
        kind: 'message',
        message: kind,
        by: p?.by ?? '(unknown)',
        reason: p?.reason,
        via: 'signal',
        requestId: p?.requestId,
        ...(verdict.ok ? { result: 'accepted' } : { result: 'refused', refusal: verdict.reason }),
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
      }),
    );
    setHandler(resumeSignal, (p) =>
      steer('resume', p, () => {
        // Also cancels a pause still pending (sent while starting or verifying): the
        // rollout then passes its hold before traffic moves without stopping.
        this.paused = false;
      }),
    );
    setHandler(promoteSignal, (p) =>
      steer(p?.full ? 'promote_full' : 'promote', p, () => {
        this.promoteRequest = { full: Boolean(p?.full) || this.promoteRequest?.full === true };
        // A promote overrules a pause, held or still pending (the record clears its "Paused:" line).
        this.paused = false;
      }),
    );
    setHandler(rollbackSignal, (p) =>
      steer('rollback', p, () => {
        this.rollbackRequest = p;
      }),
    );
    setHandler(changeExceptionSignal, (p) => {
      if (p?.exception === 'emergency') {
        this.emergency = p;
        return;
      }
      // An override is of the gate holding the canary now; it must not wait for a later one.
      const refusal = this.status.changeGate ? undefined : 'nothing to override: no deploy window, holiday or freeze holds the canary now';
      this.record({ kind: 'message', message: 'override', by: p?.by ?? '(unknown)', reason: p?.reason, via: 'signal', ...(refusal ? { result: 'refused', refusal } : { result: 'accepted' }) });
      if (!refusal) this.override = p;
      this.report();
    });
    setHandler(rolloutStatusQuery, () => this.status);
    setHandler(decisionsQuery, () => this.decisions.events());
  }

  /** The exception that lets the canary pass the change gate holding it, if any. */
  changeException(): ChangeException | undefined {
    return this.emergency ?? this.override;
  }

  /** Records a decision: the one way the status's decisions change (see `DecisionRecord`). */
  record(event: RolloutEvent): void {
    this.decisions.record(event);
  }

  /** Where the soak stands (not a decision): shown at the next report. */
  observeSoak(soak: Parameters<typeof observeSoak>[1]): void {
    observeSoak(this.status, soak);
  }

  /**
   * Says (or stops saying) that the rollout waits for the audit store before it ends, in
   * its status and the release's. Rollouts recorded before they said so (patch
   * 'rollout-audit-wait') replay without the report.
   */
  waitForAuditStore(what: string | undefined): void {
    if (!patched('rollout-audit-wait')) return;
    observeAuditWait(this.status, what);
    this.report();
  }

  /** Publishes a change: to the UI's current details and to the release's status. */
  report(): void {
    const s = this.status;
    this.revision += 1;
    s.revision = this.revision;
    this.decisions.publish();
    getExternalWorkflowHandle(this.input.releaseWorkflowId)
      .signal(rolloutProgressSignal, s)
      .catch((err) => log.warn('could not report rollout progress to the release', { error: String(err) }));
  }
}

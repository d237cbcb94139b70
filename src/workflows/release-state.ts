import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import type { ServiceConfig } from '../config/service-catalogue';
import { applyReleaseEvent, observeRollout, observeWaiting, releaseDetails } from '../policy/release-projection';
import { committedReason } from '../policy/steering';
import type { Recorded, ReleaseEvent } from '../shared/decision-events';
import type { Admission, Instance, Outcome, ReleaseInput, ReleaseStatus, Stage } from '../shared/release';
import type { ChangeException, RolloutStatus } from '../shared/rollout';
import type { Authority } from '../policy/authority';
import { type ApprovalPolicy, approvalPolicyOf } from '../policy/approval-rules';
import { GantryHold, GantryOutcome, GantryStage } from '../shared/search-attributes';
import { DecisionRecord } from './decision-record';
import type { CalendarWatch } from './change-window';
import { ReleaseHosts } from './release-hosts';

/** What the release touched in one environment, so an abandoned release can put it back. */
export interface EnvironmentTouch {
  before?: Instance;
  /** The instance this release starts there (known before it starts: IDs are derived). */
  oursId: string;
}

/**
 * The release's state: the status people query, plus what cleanup needs to know. The
 * status's decisions change only through `record` (one event each), which mirrors them
 * to the search attributes, the UI's current details and the audit sink, so the status
 * query, `temporal workflow list`, the UI and the audit never disagree.
 */
export class ReleaseState {
  readonly status: ReleaseStatus;
  readonly touched: Record<string, EnvironmentTouch> = {};
  /** Environments in the order this release first touched them. */
  private readonly touchOrder: string[] = [];
  readonly grantedLocks = new Set<string>();
  /** The production rollout child workflow, once started. */
  rolloutWorkflowId?: string;
  /** Whether the rollout child has ended (its final status is then in `status.rollout`). */
  rolloutEnded = false;
  /** Why an accepted abort did not happen, once the release ended some other way. */
  abortRefusal?: string;
  /** The folder on the worker where the build, tests and smoke tests run. */
  workDir?: string;
  /** The release's own checkout of its commit, removed when the release ends. */
  workspaceRoot?: string;
  /**
   * Whether environments are entities that record what runs there (patch
   * 'environment-entities'); releases started before take turns on lock workflows.
   */
  entities = false;
  /** Each environment entity's workflow ID, as the turn request learnt it. */
  readonly environmentIds: Record<string, string> = {};
  /** Told by the change calendar when it changes, while a freeze holds the release. */
  calendarWatch?: CalendarWatch;
  /** A process owner's override accepted while the release is held at a change gate: it passes that gate. */
  pendingOverride?: ChangeException;
  /** The rollout that has been told of the approved emergency (by its input or a signal). */
  emergencyToldTo?: string;
  /** Whether the platform has admitted the release (or it is a replayed older one that needed no admission). */
  admitted = false;
  /** Where its machine-local work runs (its checkout's host, each environment's host). */
  readonly hosts = new ReleaseHosts();
  private definition?: ServiceConfig;
  /** Every decision of this release, in order: the status, search attributes, UI details and audit follow from it. */
  readonly decisions: DecisionRecord<ReleaseEvent>;

  constructor(readonly input: ReleaseInput) {
    this.status = {
      workflowId: workflowInfo().workflowId,
      service: input.service,
      version: input.version,
      commit: input.commit,
      author: input.author,
      stage: 'admission',
      environments: {},
      approvals: [],
      approvalsRequired: 0,
      approvers: [],
      ignored: [],
      timeline: [],
      ...(input.emergency ? { emergency: { reason: input.emergency.reason, ticket: input.emergency.ticket } } : {}),
      ...(input.startedBy && input.startedBy !== input.author ? { startedBy: input.startedBy } : {}),
      ...(input.rollback ? { rollback: { reason: input.rollback.reason, replaced: [] } } : {}),
    };
    this.decisions = new DecisionRecord<ReleaseEvent>({
      apply: (event) => applyReleaseEvent(this.status, event),
      searchAttributes: releaseSearchAttributes,
      details: () => releaseDetails(this.status),
    });
  }

  /** Where the commands of this release run; only read once the workspace is ready. */
  get commandDir(): string {
    if (!this.workDir) throw new Error(`${this.input.service} ${this.input.version} has no workspace yet`);
    return this.workDir;
  }

  /** The service's definition in force for this release; only read once it is admitted. */
  get config(): ServiceConfig {
    if (!this.definition) throw new Error(`${this.input.service} ${this.input.version} has no service definition before it is admitted`);
    return this.definition;
  }

  /** Records the platform's admission: from now on the release follows this definition, whatever the catalogue becomes. */
  admit(admission: Admission): void {
    this.definition = admission.config;
    this.admitted = true;
    this.record({ kind: 'admitted', definition: admission.config, catalogue: admission.catalogue, source: admission.source });
  }

  /** A release recorded before admission existed carried its definition and source folder in its input. */
  useStartersDefinition(): void {
    if (!this.input.config || !this.input.sourceDir) throw new Error('the release input has no service definition');
    this.definition = this.input.config;
    this.admitted = true;
    this.workDir = this.input.sourceDir;
    this.record({ kind: 'definition_from_starter', definition: this.input.config });
  }

  /** Records what the release found in an environment before it deployed there. */
  touch(environment: string, touch: EnvironmentTouch): void {
    if (!this.touched[environment]) this.touchOrder.push(environment);
    this.touched[environment] = touch;
  }

  /** The environments this release touched, the last one first: the order they are put back in. */
  touchedLastFirst(): string[] {
    return [...this.touchOrder].reverse();
  }

  /** Who may do what to this release: its service's roles and groups (none before it is admitted). */
  authority(): Authority {
    return { service: this.input.service, ...(this.admitted ? { roles: this.config.roles, groups: this.config.groups } : {}) };
  }

  /** The approval policy in force now: the admitted one, widened when it escalated. */
  approvalPolicy(): ApprovalPolicy {
    // Before admission nobody may approve: the stage check refuses every approval anyway.
    const policy: ApprovalPolicy = this.admitted ? approvalPolicyOf(this.config) : { approvers: [], minApprovals: 0, timeout: 0, onTimeout: 'expire' };
    return this.status.escalatedTo ? { ...policy, escalatedTo: this.status.escalatedTo } : policy;
  }

  /** The approved emergency, as the exception that passes every change gate of this release. */
  emergencyException(): ChangeException | undefined {
    const emergency = this.status.emergency;
    if (!emergency?.approval) return undefined;
    return { exception: 'emergency', by: emergency.approval.by, reason: emergency.approval.reason, ticket: emergency.ticket };
  }

  get finished(): boolean {
    return this.status.outcome !== undefined;
  }

  now(): string {
    return new Date().toISOString();
  }

  /** Records a decision: the one way the status's decisions change (see `DecisionRecord`). */
  record(event: ReleaseEvent): void {
    this.decisions.record(event);
  }

  /** Enters a stage: closes the previous one as passed and tells the UI. */
  enter(stage: Stage, note?: string): void {
    this.record({ kind: 'stage_entered', stage, note });
  }

  waitFor(what: string | undefined): void {
    observeWaiting(this.status, what);
    this.decisions.publish();
  }

  /** The rollout's latest report, shown in the release's status. */
  observeRollout(rollout: RolloutStatus): void {
    observeRollout(this.status, rollout);
  }

  /**
   * Ends the release: the last stage closes with the outcome's result. An abort that was
   * accepted but lost the race (the promotion had been committed) is not left beside
   * another outcome as if it happened: it moves to `ignored`, with the reason.
   */
  finish(outcome: Outcome, reason?: string): void {
    const abort = this.status.abort;
    if (abort && outcome !== 'aborted') {
      this.abortRefusal = this.status.rollout?.committedAt ? committedReason(this.status.rollout) : `the release ended ${outcome} before the abort took effect`;
      this.record({ kind: 'abort_overruled', by: abort.by, reason: this.abortRefusal, abortedAt: abort.at });
    }
    this.record({ kind: 'finished', outcome, reason });
  }
}

/** Stage and outcome are search attributes: `temporal workflow list` and the UI filter on them. */
function releaseSearchAttributes(event: Recorded<ReleaseEvent>): SearchAttributeUpdatePair[][] {
  if (event.kind === 'stage_entered') return [[{ key: GantryStage, value: event.stage }]];
  if (event.kind === 'change_held') return [[{ key: GantryHold, value: event.hold }]];
  if (event.kind === 'change_allowed' || event.kind === 'change_excepted') return [[{ key: GantryHold, value: null }]];
  if (event.kind !== 'finished') return [];
  const updates: SearchAttributeUpdatePair[][] = [];
  if (event.outcome === 'succeeded') updates.push([{ key: GantryStage, value: 'done' }]);
  updates.push([{ key: GantryOutcome, value: event.outcome }]);
  return updates;
}

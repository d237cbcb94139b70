import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ServiceConfig } from '../config/service-catalogue';
import type { Admission, Instance, Outcome, ReleaseInput, ReleaseStatus, Stage } from '../shared/release';
import { GantryOutcome, GantryStage } from '../shared/search-attributes';
import { committedReason } from '../policy/steering';
import { ReleaseHosts } from './release-hosts';

/** What the release touched in one environment, so an abandoned release can put it back. */
export interface EnvironmentTouch {
  before?: Instance;
  /** The instance this release starts there (known before it starts: IDs are derived). */
  oursId: string;
}

/**
 * The release's state: the status people query, plus what cleanup needs to know. Every
 * change of stage is mirrored to the search attribute and the UI's current details, so
 * the status query, `temporal workflow list` and the UI never disagree.
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
  /** Whether the platform has admitted the release (or it is a replayed older one that needed no admission). */
  admitted = false;
  /** Where its machine-local work runs (its checkout's host, each environment's host). */
  readonly hosts = new ReleaseHosts();
  private definition?: ServiceConfig;

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
    };
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
    this.useDefinition(admission.config);
    this.status.definition = admission.config;
    this.status.catalogue = admission.catalogue;
    this.status.source = admission.source;
  }

  /** A release recorded before admission existed carried its definition and source folder in its input. */
  useStartersDefinition(): void {
    if (!this.input.config || !this.input.sourceDir) throw new Error('the release input has no service definition');
    this.useDefinition(this.input.config);
    this.workDir = this.input.sourceDir;
  }

  private useDefinition(config: ServiceConfig): void {
    this.definition = config;
    this.admitted = true;
    this.status.approvalsRequired = config.approval.minApprovals;
    this.status.approvers = [...config.approval.approvers];
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

  get finished(): boolean {
    return this.status.outcome !== undefined;
  }

  now(): string {
    return new Date().toISOString();
  }

  /** Enters a stage: closes the previous one as passed and tells the UI. */
  enter(stage: Stage, note?: string): void {
    this.closeCurrent('passed');
    this.status.stage = stage;
    this.status.waitingFor = undefined;
    this.status.timeline.push({ stage, startedAt: this.now(), note });
    upsertSearchAttributes([{ key: GantryStage, value: stage }]);
    this.publishDetails();
  }

  waitFor(what: string | undefined): void {
    this.status.waitingFor = what;
    this.publishDetails();
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
      this.status.ignored.push({ message: 'abort', by: abort.by, reason: this.abortRefusal, at: abort.at });
      this.status.abort = undefined;
    }
    this.closeCurrent(outcome === 'succeeded' ? 'passed' : outcome === 'aborted' ? 'cancelled' : 'failed', reason);
    this.status.outcome = outcome;
    this.status.reason = reason;
    this.status.waitingFor = undefined;
    if (outcome === 'succeeded') {
      this.status.stage = 'done';
      this.status.timeline.push({ stage: 'done', startedAt: this.now(), endedAt: this.now(), result: 'passed' });
      upsertSearchAttributes([{ key: GantryStage, value: 'done' }]);
    }
    upsertSearchAttributes([{ key: GantryOutcome, value: outcome }]);
    this.publishDetails();
  }

  private closeCurrent(result: 'passed' | 'failed' | 'cancelled' | 'skipped', note?: string): void {
    const current = this.status.timeline[this.status.timeline.length - 1];
    if (current && !current.endedAt) {
      current.endedAt = this.now();
      current.result = result;
      if (note) current.note = note;
    }
  }

  /** Markdown the Temporal UI shows as the workflow's current details. */
  private publishDetails(): void {
    const s = this.status;
    const lines = [
      `**${s.service} ${s.version}** (${s.commit.slice(0, 12)}) by ${s.author}`,
      '',
      `Stage: **${s.stage}**${s.outcome ? ` — outcome **${s.outcome}**` : ''}`,
    ];
    if (s.waitingFor) lines.push(`Waiting for: ${s.waitingFor}`);
    if (s.reason) lines.push(`Reason: ${s.reason}`);
    if (s.approvalsRequired > 0) {
      lines.push(`Approvers: ${s.approvers.join(', ')} (${s.approvalsRequired} required)`);
      lines.push(`Approvals: ${s.approvals.length}/${s.approvalsRequired}${s.approvals.length ? ` (${s.approvals.map((a) => a.by).join(', ')})` : ''}`);
    }
    if (s.source) lines.push(`Commit: ${s.source.commit} (${s.source.requested})`);
    if (s.catalogue) lines.push(`Rules: catalogue ${s.catalogue.digest}`);
    for (const [env, deployed] of Object.entries(s.environments)) {
      if (deployed) lines.push(`${env}: ${deployed.version} at ${deployed.url}`);
    }
    setCurrentDetails(lines.join('\n'));
  }
}

import { defineQuery } from '@temporalio/workflow';
import type { CanaryJudgement } from '../policy/canary-judge';
import type { ServiceConfig } from '../config/service-catalogue';
import type { Measurement } from '../contracts/measurements';
import type { Check, Verdict } from '../policy/analysis';
import type { HoldKind } from '../policy/change-window';
import type { ProvenanceStatement } from '../policy/provenance';
import type { LockRequest } from './messages';
import type { DeclaredFreeze, Quarantine } from './change-calendar';
import type { KillMethod } from './flags';
import type { FlagDefinition } from '../policy/flags/flag-document';
import type { NotificationFailure } from './notifications';
import type { CatalogueRef, SourceRevision } from './provenance-types';
import type { AppliedMigration, ArtifactRef, GateException, Outcome, ReleaseChange, SignedRecord, Stage } from './release';
import type { RolloutPhase, RolloutStatus } from './rollout';

/**
 * One record of every decision. The release, rollout and environment workflows write
 * each transition, each message accepted or refused (with who and why), each analysis
 * verdict with its measurements and each deploy and restore as one of these typed
 * events, through one seam (`DecisionRecord`), which derives the status people query,
 * the Temporal UI's current details, the search attributes and the audit sink from it.
 *
 * Plain data: events travel to the worker's audit sink and to `gantry release events`.
 */

/** The messages people send to a release, its rollout or an environment. */
export type MessageName = 'approve' | 'reject' | 'abort' | 'pause' | 'resume' | 'promote' | 'promote_full' | 'rollback' | 'approve_emergency' | 'override';

/** A message as the workflow took it: honoured, or refused with the reason. */
export interface MessageEvent {
  kind: 'message';
  message: MessageName;
  by: string;
  /** The reason (reject, abort, steering) or comment (approve) the sender gave. */
  reason?: string;
  via: 'update' | 'signal';
  result: 'accepted' | 'refused';
  refusal?: string;
  /** Set when a release forwarded the message, so it can find the rollout's decision. */
  requestId?: string;
  /** The change ticket an approval named. */
  ticket?: string;
  /** A signed approval: the statement, its signature and the key that made it, for an auditor to check with ssh-keygen. */
  signed?: SignedRecord;
}

/** What a release decided and did. */
export type ReleaseEvent =
  | { kind: 'stage_entered'; stage: Stage; note?: string }
  | { kind: 'admitted'; definition: ServiceConfig; catalogue: CatalogueRef; source: SourceRevision }
  /** A release recorded before admission existed follows the definition its starter sent. */
  | { kind: 'definition_from_starter'; definition: ServiceConfig }
  | { kind: 'approval_opened'; deadline: string }
  /** The statistical judge's verdicts on the rollout in `environment` gave the approval, as the policy allows (`byAnalysis`). */
  | { kind: 'approved_by_analysis'; environment: string; reason: string }
  /** The first deadline passed: these people may approve too, until the new deadline. */
  | { kind: 'approval_escalated'; to: string[]; deadline: string }
  | MessageEvent
  /** An accepted abort that lost the race to another ending (e.g. a committed promotion). */
  | { kind: 'abort_overruled'; by: string; reason: string; abortedAt: string }
  | { kind: 'artifact_published'; artifact: ArtifactRef }
  | { kind: 'provenance_recorded'; statement: ProvenanceStatement }
  | { kind: 'deployed'; environment: string; version: string; digest: string; url: string }
  | { kind: 'restored'; environment: string; version: string; digest: string; url: string }
  /** This release's instance stopped while putting an environment back (nothing of it serves there). */
  | { kind: 'withdrawn'; environment: string; instanceId: string }
  /** The change policy holds the release before an environment until `until` (ISO 8601). */
  /** `until` is absent while a declared freeze with no end holds it. */
  | { kind: 'change_held'; environment: string; until?: string; untilLocal: string; hold: HoldKind; reasons: string[] }
  /** The change policy lets the release into the environment now. */
  | { kind: 'change_allowed'; environment: string }
  /** An exception let the release into the environment although the change policy or a freeze held it. */
  | ({ kind: 'change_excepted' } & Omit<GateException, 'at' | 'weight'>)
  /** An explicit rollback let this release's older version replace `replaces` in the environment. */
  | { kind: 'rollback_allowed'; environment: string; replaces: string; reason: string }
  /** The release's checkout (build, tests, artifact) is on this worker host. */
  | { kind: 'workspace_placed'; host: string }
  /** The environment runs on this worker host (its entity's placement). */
  | { kind: 'environment_placed'; environment: string; host: string }
  /** The worker gave up on telling a webhook of one of this release's moments (the release goes on regardless). */
  | { kind: 'notification_failed'; failure: NotificationFailure }
  /** What the commit changes (a service with migrations): a schema release, a code release, or a first release with both. */
  | { kind: 'change_classified'; change: ReleaseChange }
  /** One migration applied to an environment's database (file, checksum, who approved, how long it took). */
  | ({ kind: 'migration_applied' } & Omit<AppliedMigration, 'at'>)
  /** The environment's database had every migration of the release already: nothing to apply. */
  | { kind: 'migrations_current'; environment: string; alreadyApplied: number }
  /** A contract step waits for one more approval than the policy's minimum, before the first environment. */
  | { kind: 'contract_approval_opened'; migrations: string[]; required: number; deadline: string }
  /** The contract step's approvals are in: who gave them. */
  | { kind: 'contract_approved'; by: string[] }
  | { kind: 'finished'; outcome: Outcome; reason?: string };

/** What a rollout decided and did. */
export type RolloutEvent =
  /** What the rollout starts from: the version serving now (none for a first release) and the router in front. */
  | { kind: 'stable_found'; version?: string; routerUrl: string }
  | { kind: 'phase'; phase: RolloutPhase }
  /** The metrics source does not answer: no traffic moves until it does. */
  | { kind: 'metrics_waiting'; why: string }
  | { kind: 'metrics_online' }
  | { kind: 'traffic'; weights: RolloutStatus['weights']; step?: number }
  | {
      kind: 'analysis';
      weight: number;
      verdict: Verdict;
      summary: string;
      checks: Check[];
      measurements: { candidate: Measurement; baseline?: Measurement };
      /** What the verdict policy made of it. */
      decision: 'continue' | 'rollback' | 'pause';
      /** The statistical judge's full judgement, when the catalogue asks for the judge. */
      judgement?: CanaryJudgement;
    }
  /** The early stop's sequential test found the canary's errors conclusively worse than stable's between two checks. */
  | {
      kind: 'early_stop';
      weight: number;
      /** Which bad events stopped it: errors, or requests slower than `slowerThanMs`. */
      signal?: 'errors' | 'latency';
      slowerThanMs?: number;
      /** The mixture likelihood ratio it stopped at (≥ 1/alpha), and its always-valid p-value (1/evidence). */
      evidence: number;
      alwaysValidP: number;
      /** The level of the test that stopped it (half the early stop's alpha: errors and latency are tested apart). */
      alpha: number;
      /** Bad events of each side the test counted over the whole rollout so far. */
      canaryEvents: number;
      stableEvents: number;
      /** Requests, errors and slow requests of each side while the last watch ran, and how long it had run. */
      canary: { requests: number; errors: number; slow?: number };
      stable: { requests: number; errors: number; slow?: number };
      afterMs: number;
      summary: string;
    }
  | MessageEvent
  /** The rollout holds where it is: a person paused it, or the policy did (`why`; `changeGate` when it is the change policy or a freeze). */
  | { kind: 'held'; why?: string; changeGate?: boolean }
  /** An exception let the canary raise traffic although the change policy or a freeze held it. */
  | ({ kind: 'change_excepted' } & Omit<GateException, 'at' | 'environment'>)
  | { kind: 'resumed'; phase: RolloutPhase }
  /** The point of no return of a promotion. */
  | { kind: 'committed' }
  | { kind: 'promoted'; version: string; reason?: string }
  | { kind: 'rolling_back'; reason: string }
  | { kind: 'rolled_back'; reason: string }
  /** The worker host the rollout's environment runs on does not pick up its work: why, and what to do. */
  | { kind: 'host_unanswered'; why: string }
  | { kind: 'host_answered' };

/** What an environment entity recorded. */
export type EnvironmentEvent =
  | { kind: 'turn_requested'; request: LockRequest }
  | { kind: 'turn_granted'; request: LockRequest }
  /** The release could not be told (it had ended), so the turn went to the next. */
  | { kind: 'turn_dropped'; request: LockRequest }
  | { kind: 'turn_returned'; request: LockRequest }
  /** The holder ended without handing back its turn; it was passed on. */
  | { kind: 'turn_reclaimed'; request: LockRequest }
  | { kind: 'deployed'; version: string; digest: string; url: string; release: string }
  | { kind: 'restored'; version: string; digest: string; url: string; release: string }
  /** The environment's instances and router run on this worker host from now on. */
  | { kind: 'placed'; host: string };

/** What the change calendar recorded. */
export type CalendarEvent =
  | { kind: 'freeze_declared'; freeze: DeclaredFreeze }
  /** `by` is a person, or `the calendar` when its --until passed. */
  | { kind: 'freeze_ended'; id: string; by: string; reason?: string }
  | { kind: 'version_quarantined'; quarantine: Quarantine }
  | { kind: 'quarantine_lifted'; service: string; version: string; by: string; reason?: string }
  /** A quarantine or lift the calendar refused: by its validator (audit only: no trace in history), or for want of the role (recorded). */
  | { kind: 'quarantine_refused'; command: 'quarantine' | 'unquarantine'; service: string; version: string; by: string; reason?: string; refusal: string }
  /** A freeze declaration or end refused for want of the role (recorded: the update was accepted, then refused). */
  | { kind: 'freeze_refused'; command: 'start' | 'end'; id?: string; by: string; reason?: string; refusal: string };

/** What a flag entity recorded: every change to the flag (old → new) and every refusal, with who and why. */
export type FlagEvent =
  /** On first use the entity took the definition the flag store already served (written by hand or before entities existed). */
  | { kind: 'flag_adopted'; key: string; definition: FlagDefinition; revision: number }
  /** A new definition, validated and written to the store as `revision`; `before` absent: the flag is new. */
  | { kind: 'flag_set'; key: string; by: string; reason?: string; before?: FlagDefinition; after: FlagDefinition; summary: string[]; revision: number }
  /** Turned off at once (see KillMethod), written to the store as `revision`. */
  | { kind: 'flag_killed'; key: string; by: string; reason: string; before: FlagDefinition; after: FlagDefinition; method: KillMethod; offVariant?: string; summary: string[]; revision: number }
  /** A set or kill refused for want of the role or for an invalid definition: nothing changed. */
  | { kind: 'flag_refused'; key: string; command: 'set' | 'kill'; by: string; reason?: string; via: 'update' | 'signal'; refusal: string };

export type DecisionEvent = ReleaseEvent | RolloutEvent | EnvironmentEvent | CalendarEvent | FlagEvent;

/** An event as recorded: numbered within its workflow, timed by the workflow's clock. */
export type Recorded<E extends DecisionEvent = DecisionEvent> = E & {
  /** 1, 2, 3 … within one workflow (an environment entity carries it across continue-as-new). */
  seq: number;
  /** ISO 8601, the workflow's time when it was recorded. */
  at: string;
  /** The workflow that recorded it. */
  workflowId: string;
};

/** Every event a workflow recorded, oldest first (an environment keeps its most recent ones). */
export const decisionsQuery = defineQuery<Recorded[]>('decisions');

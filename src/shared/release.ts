import type { ServiceConfig } from '../config/service-catalogue';
import type { ProvenanceStatement } from '../policy/provenance';
import type { CatalogueRef, SourceRevision } from './provenance-types';
import type { RolloutStatus } from './rollout';
import type { HoldKind, Risk } from '../policy/change-window';
import type { NotificationFailure } from './notifications';

/**
 * Types that cross the boundary between the CLI, the workflow and the activities.
 * Everything here is plain data: it travels as JSON through Temporal.
 */

/** The stages every release has; between `artifact` and `done` it deploys to each of its service's environments, whose names are stages too. */
export const FIXED_STAGES = ['admission', 'build', 'test', 'artifact', 'approval', 'done'] as const;
/** A fixed stage, or the name of the environment the release is deploying to (e.g. `staging`, `production-eu`). */
export type Stage = (typeof FIXED_STAGES)[number] | (string & NonNullable<unknown>);

export const OUTCOMES = ['succeeded', 'failed', 'rejected', 'aborted', 'expired', 'rolled_back', 'refused'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What CI asks for, and all a starter sends: one version of one service, built from a
 * commit (a short or full SHA, or a tag). The rules come from the platform's catalogue
 * when the release is admitted, never from the starter.
 */
export interface ReleaseRequest {
  service: string;
  version: string;
  commit: string;
  author: string;
  /** Who starts the release (CI, or a person), when not the author: a practitioner, and never one of its approvers. */
  startedBy?: string;
  /** How risky the change is, as its starter says (default medium): deploy windows and holidays hold the risks the change policy names. */
  risk?: Risk;
  /**
   * Set when the release is an explicit rollback: only then may its version replace a newer
   * one in an environment. The reason is recorded and shown.
   */
  rollback?: { reason: string };
  /** An emergency fix: it passes deploy windows, holidays and freezes once an emergency approver approves it. */
  emergency?: EmergencyRequest;
}

/** Why a release is an emergency: both are recorded and flagged for the review. */
export interface EmergencyRequest {
  reason: string;
  /** The incident or change ticket, e.g. INC-4711. */
  ticket: string;
}

/**
 * The workflow's input. Releases started before the platform held the catalogue carried
 * the service's definition and a source folder in their input; those two fields are only
 * read when such a history replays.
 */
export interface ReleaseInput extends ReleaseRequest {
  /** @deprecated only in histories recorded before admission existed. */
  sourceDir?: string;
  /** @deprecated only in histories recorded before admission existed. */
  config?: ServiceConfig;
}

/** What the platform decided when it admitted a release: the rules and the code it gets. */
export interface Admission {
  /** The service's definition in the platform's catalogue, kept for the whole release. */
  config: ServiceConfig;
  catalogue: CatalogueRef;
  source: SourceRevision;
  /** What the commit changes, for a service that declares migrations (absent otherwise, and in older releases). */
  change?: ReleaseChange;
}

/**
 * What a release's commit changes since the version running in the service's first
 * environment, for a service with migrations: `schema` (only its migrations folder: the
 * release applies them and ships no code), `code` (no migration, or only migrations an
 * earlier schema release applied there already) or `first` (nothing ran yet and it
 * carries both: each environment gets the migrations, then the code).
 */
export interface ReleaseChange {
  kind: 'schema' | 'code' | 'first';
  /** The commit it was compared with (absent when nothing ran yet). */
  base?: { commit: string; version: string };
  /** The migrations folder inside the repository. */
  folder: string;
  /** Migration files the commit adds or changes (names inside the folder). */
  migrations: string[];
  /** How many other files of the service it changes. */
  otherFiles: number;
  /** The worker environment variable of each environment's database, by environment (names, never URLs). */
  databases: Record<string, string>;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /**
   * The contract steps admission let through (absent when none, and in older releases):
   * migrations marked `-- gantry:contract after=<version>` whose version runs everywhere
   * and whose rollback window closed. The release then needs one more approval.
   */
  contract?: ContractStep[];
}

/** A contract-marked migration admission let through, and why. */
export interface ContractStep {
  /** The migration file (name inside the folder). */
  file: string;
  /** The marker's version: the release after which nothing reads the old shape. */
  after: string;
  /** ISO 8601: since when that version (or a later one) runs in every environment. */
  everywhereSince: string;
  /** ISO 8601: when its rollback window closed. */
  windowClosedAt: string;
}

/** One migration a release applied to an environment's database, as the runner recorded it there. */
export interface AppliedMigration {
  environment: string;
  file: string;
  /** sha256 of the file, hex. */
  checksum: string;
  approvedBy: string;
  durationMs: number;
  at: string;
}

/** The answer to the admission update: what the starter is told at once. */
export interface AdmissionAnswer {
  admitted: true;
  service: string;
  version: string;
  commit: string;
  catalogueDigest: string;
  message: string;
}

export interface ArtifactRef {
  service: string;
  version: string;
  /** `sha256:<hex>` of the packed artifact. */
  digest: string;
  sizeBytes: number;
}

/** One running copy of an artifact in an environment. */
export interface Instance {
  id: string;
  service: string;
  environment: string;
  artifact: ArtifactRef;
  url: string;
  pid: number;
}

/** A signed decision as the record keeps it: what was signed, the signature, and the key's fingerprint. */
export interface SignedRecord {
  statement: string;
  signature: string;
  /** SHA256:… of the key that signed, as ssh-keygen -l prints it. */
  fingerprint: string;
}

export interface ApprovalRecord {
  by: string;
  comment?: string;
  ticket?: string;
  signed?: SignedRecord;
  at: string;
  via: 'update' | 'signal';
}

export interface IgnoredMessage {
  message: string;
  by: string;
  reason: string;
  at: string;
}

export interface StageRecord {
  stage: Stage;
  startedAt: string;
  endedAt?: string;
  result?: 'passed' | 'failed' | 'cancelled' | 'skipped';
  note?: string;
}

export interface ReleaseStatus {
  workflowId: string;
  service: string;
  version: string;
  commit: string;
  author: string;
  stage: Stage;
  outcome?: Outcome;
  reason?: string;
  /** What the release is waiting for right now, in words, if anything. */
  waitingFor?: string;
  /** Which worker host holds its checkout (build, tests, artifact) and runs each environment; absent before hosts existed. */
  hosts?: { workspace?: string; environments: Record<string, string> };
  artifact?: ArtifactRef;
  /** What the release deployed, by environment. */
  environments: Record<string, { version: string; url: string }>;
  approvals: ApprovalRecord[];
  approvalsRequired: number;
  approvers: string[];
  approvalDeadline?: string;
  /** Who the approval escalated to when its first deadline passed. */
  escalatedTo?: string[];
  /** Who started the release, when not its author. */
  startedBy?: string;
  rejection?: { by: string; reason: string; at: string };
  abort?: { by: string; reason: string; at: string };
  ignored: IgnoredMessage[];
  timeline: StageRecord[];
  /** The progressive rollout to production (canary, blue/green), while and after it runs. */
  rollout?: RolloutStatus;
  /** The service's definition the platform admitted the release with (absent before admission and in older releases). */
  definition?: ServiceConfig;
  /** Which catalogue it came from. */
  catalogue?: CatalogueRef;
  /** The commit the release builds, resolved by the worker. */
  source?: SourceRevision;
  /** The artifact's provenance statement (in-toto, SLSA provenance v1), once written. */
  provenance?: ProvenanceStatement;
  /** What holds the release before an environment now: a deploy window, a holiday, a freeze, a soak in the environment before. */
  hold?: ChangeHold;
  /** An explicit rollback: why, and the newer versions it replaced so far. */
  rollback?: { reason: string; replaced: { environment: string; version: string }[] };
  /** Set on an emergency release: why, its ticket, and the emergency approver's decision once given. */
  emergency?: EmergencyRequest & { approval?: { by: string; reason: string; at: string } };
  /** Set when the statistical judge gave the approval (the policy's `byAnalysis`): on which rollout, and why. */
  approvedByAnalysis?: { environment: string; reason: string; at: string };
  /** Gates passed by an exception (an approved emergency, a process owner's override): flagged for the review. */
  exceptions?: GateException[];
  /** What the commit changes, for a service with migrations: a schema release ships no code. */
  change?: ReleaseChange;
  /** Migrations this release applied, environment by environment, in order. */
  migrations?: AppliedMigration[];
  /** The extra approval a contract step needs before the first environment (absent for releases without one). */
  contractApproval?: { migrations: string[]; required: number; approvedBy?: string[]; at?: string };
  /** Notifications the worker gave up on after its retries (webhooks that failed or timed out); the release did not wait for them. */
  notificationFailures?: NotificationFailure[];
}

/** A change gate a release (or its canary) passed although the change policy or a freeze held it. */
export interface GateException {
  exception: 'emergency' | 'override';
  by: string;
  reason: string;
  /** The emergency's ticket. */
  ticket?: string;
  environment: string;
  /** The canary's weight when it was a ramp step that was passed; absent for the environment's entry. */
  weight?: number;
  /** What held it: the reasons the gate gave. */
  passed: string[];
  at: string;
}

/** The change policy holding a release before an environment, and until when. */
export interface ChangeHold {
  environment: string;
  /** What holds it (as GantryHold says); absent in releases recorded before it was kept here. */
  kind?: HoldKind;
  /** ISO 8601; absent while a declared freeze with no end holds it. */
  until?: string;
  /** The same, as a person reads it in the policy's zone. */
  untilLocal: string;
  reasons: string[];
}

/** What a finished release returns (or carries as failure details). */
export interface ReleaseResult {
  outcome: Outcome;
  reason?: string;
  /** Absent only when the run was ended from outside (terminated, timed out). */
  status?: ReleaseStatus;
}

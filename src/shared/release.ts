import type { ServiceConfig } from '../config/service-catalogue';
import type { RolloutStatus } from './rollout';

/**
 * Types that cross the boundary between the CLI, the workflow and the activities.
 * Everything here is plain data: it travels as JSON through Temporal.
 */

export const STAGES = ['build', 'test', 'artifact', 'staging', 'approval', 'production', 'done'] as const;
export type Stage = (typeof STAGES)[number];

export const OUTCOMES = ['succeeded', 'failed', 'rejected', 'aborted', 'expired', 'rolled_back'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What CI asks for: one version of one service. */
export interface ReleaseRequest {
  service: string;
  version: string;
  commit: string;
  author: string;
}

/**
 * The workflow's input: the request plus a snapshot of the service's configuration at
 * start, so the release keeps the rules it started with and the history shows them.
 */
export interface ReleaseInput extends ReleaseRequest {
  /** Absolute path of the service's source directory on the worker machine. */
  sourceDir: string;
  config: ServiceConfig;
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

export interface ApprovalRecord {
  by: string;
  comment?: string;
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
  artifact?: ArtifactRef;
  environments: Partial<Record<'staging' | 'production', { version: string; url: string }>>;
  approvals: ApprovalRecord[];
  approvalsRequired: number;
  approvers: string[];
  approvalDeadline?: string;
  rejection?: { by: string; reason: string; at: string };
  abort?: { by: string; reason: string; at: string };
  ignored: IgnoredMessage[];
  timeline: StageRecord[];
  /** The progressive rollout to production (canary, blue/green), while and after it runs. */
  rollout?: RolloutStatus;
}

/** What a finished release returns (or carries as failure details). */
export interface ReleaseResult {
  outcome: Outcome;
  reason?: string;
  /** Absent only when the run was ended from outside (terminated, timed out). */
  status?: ReleaseStatus;
}

import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AnalysisConfig, BlueGreenConfig, CanaryConfig, MetricsSourceConfig, RouterConfig } from '../config/progressive-delivery';
import type { ArtifactRef, GateException } from './release';
import type { Placement } from '../policy/placement';
import type { ChangePolicy, Risk } from '../policy/change-window';
import type { Authority } from '../policy/authority';

/**
 * A progressive rollout (canary or blue/green) runs as a child workflow of the release,
 * one per environment, ID `rollout/<service>/<environment>/<version>`. People steer it
 * through the release (which forwards) or directly.
 */

export interface RolloutInput {
  service: string;
  environment: string;
  version: string;
  artifact: ArtifactRef;
  /** The release that started this rollout (progress is reported to it). */
  releaseWorkflowId: string;
  run: { command: string; healthPath: string; startTimeoutMs: number };
  router: RouterConfig;
  metrics: MetricsSourceConfig;
  canary: CanaryConfig;
  blueGreen: BlueGreenConfig;
  /** Smoke command and where it runs, for blue/green's verification of green. */
  smoke?: { command: string; cwd: string; passEnv?: string[]; placement?: Placement };
  /** The host that runs the environment (absent in rollouts started before hosts existed: the shared queue). */
  placement?: Placement;
  /** The change policy of the environment, when it has one: asked again before each step that raises traffic. */
  changePolicy?: ChangePolicy;
  risk?: Risk;
  /** An emergency release's approval, when it was given before the rollout started: it passes every change gate. */
  emergency?: ChangeException;
  /** Who may steer it: the release's service roles (absent in rollouts started before roles existed). */
  authority?: Authority;
}

/** An exception a release hands its rollout: an approved emergency (every gate) or an override (the gate holding it now). */
export interface ChangeException {
  exception: 'emergency' | 'override';
  by: string;
  reason: string;
  ticket?: string;
}
/** Sent by the release when an emergency is approved or a process owner overrides the canary's hold. */
export const changeExceptionSignal = defineSignal<[ChangeException]>('changeException');

export type RolloutPhase =
  | 'starting'
  | 'waiting_for_metrics'
  | 'verifying'
  | 'progressing'
  | 'paused'
  | 'waiting_for_switch'
  | 'keeping_blue'
  | 'rolling_back'
  | 'promoting'
  | 'promoted'
  | 'rolled_back';

export interface AnalysisRecord {
  at: string;
  weight: number;
  verdict: 'pass' | 'fail' | 'inconclusive';
  summary: string;
  /** The statistical judge's verdict (`marginal` shows as inconclusive above) and score, when it judged. */
  judged?: { verdict: 'pass' | 'marginal' | 'fail'; score?: number };
  /** The figures behind a judged or stopped check, one line per metric: estimates, intervals, p-values or evidence, sample counts. */
  figures?: string[];
}

/** A person's steering message as the rollout took it: honoured, or refused with the reason. */
export interface SteerDecision {
  kind: 'pause' | 'resume' | 'promote' | 'promote_full' | 'rollback';
  by: string;
  reason?: string;
  at: string;
  /** The sender's request ID, so the release can answer the person once the rollout decided. */
  requestId?: string;
  /** Absent in statuses recorded before decisions could be refused (they were all taken). */
  result?: 'accepted' | 'refused';
  refusal?: string;
}

export interface RolloutStatus {
  strategy: 'canary' | 'blueGreen';
  phase: RolloutPhase;
  /**
   * Grows with every report: the release keeps the newest, whatever order the reports
   * arrive in (absent in statuses recorded before reports were numbered).
   */
  revision?: number;
  /** When the promotion became irreversible: from then on no abort or rollback can win. */
  committedAt?: string;
  stableVersion?: string;
  canaryVersion: string;
  /** Share of public traffic per role right now. */
  weights: { stable: number; canary: number };
  routerUrl?: string;
  /** Index into `steps` (canary) of the step being soaked. */
  step?: number;
  steps: { weight: number; soakMs?: number }[];
  nextCheckAt?: string;
  /** The soak of the current step: `done` counts passing checks; the step advances once all `planned` passed, however long it takes. */
  soak?: { planned: number; done: number; extended?: string };
  /** Why the rollout waits for its metrics source before moving traffic. */
  waitingForMetrics?: string;
  /** Set while the rollout, its work done, waits for the audit store to take its record before it ends. */
  waitingForAuditStore?: string;
  /** Set while the host that runs the environment does not pick up work: which, since when, what to do. */
  hostUnavailable?: string;
  pausedBecause?: string;
  /** Set while the change policy or a freeze holds the canary's weight (a process owner may override it). */
  changeGate?: string;
  /** Change gates the canary passed by an exception (its environment is the rollout's). */
  exceptions?: Omit<GateException, 'environment'>[];
  analyses: AnalysisRecord[];
  decisions: SteerDecision[];
  reason?: string;
}

/** What stops a rollout from moving now, in words (a pause, a change gate, metrics, a host, the audit store), if anything. */
export function rolloutHeldBy(r: RolloutStatus): string | undefined {
  return r.pausedBecause ?? r.changeGate ?? r.waitingForMetrics ?? r.hostUnavailable ?? r.waitingForAuditStore;
}

export interface RolloutResult {
  outcome: 'promoted' | 'rolled_back';
  reason?: string;
  status: RolloutStatus;
}

export interface SteerPayload {
  by: string;
  reason?: string;
  /** Set by the release when it forwards a message, so it can wait for the rollout's decision. */
  requestId?: string;
}
export interface PromotePayload extends SteerPayload {
  /** Go to 100 % now instead of ending only the current soak. */
  full?: boolean;
}

export const pauseSignal = defineSignal<[SteerPayload]>('pause');
export const resumeSignal = defineSignal<[SteerPayload]>('resume');
export const promoteSignal = defineSignal<[PromotePayload]>('promote');
export const rollbackSignal = defineSignal<[SteerPayload]>('rollback');
export const rolloutStatusQuery = defineQuery<RolloutStatus>('rolloutStatus');
/** Sent by a rollout to its release whenever its status changes, so the release's status shows it. */
export const rolloutProgressSignal = defineSignal<[RolloutStatus]>('rolloutProgress');

export function rolloutWorkflowId(service: string, environment: string, version: string): string {
  return `rollout/${service}/${environment}/${version}`;
}

export type { AnalysisConfig };

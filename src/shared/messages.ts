import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AdmissionAnswer, ReleaseStatus } from './release';
import type { PromotePayload, SteerPayload } from './rollout';
import type { SignedDecision } from '../policy/signed-statement';
import type { FlagChangeAnswer, FlagView, KillFlagRequest, SetFlagRequest } from './flags';

/**
 * Every message a release understands, shared by the workflow, the CLI and the tests.
 * Approve, reject and abort exist both as updates (the caller is told if it was
 * refused, and why) and as signals of the same name (for `temporal workflow signal`
 * and tctl; a refused signal is ignored and recorded in `status`).
 */

export interface ApprovePayload {
  by: string;
  comment?: string;
  /** The change ticket the approval refers to (an approval policy may require one). */
  ticket?: string;
  /** The approval signed with the approver's SSH key (`gantry release approve --sign`, or `gantry release sign-payload`). */
  signature?: SignedDecision;
}
export interface RejectPayload {
  by: string;
  reason: string;
}
export interface AbortPayload {
  by: string;
  reason: string;
}
export interface DecisionAnswer {
  accepted: true;
  approvals: number;
  approvalsRequired: number;
  message: string;
}

export const approveUpdate = defineUpdate<DecisionAnswer, [ApprovePayload]>('approve');
export const rejectUpdate = defineUpdate<DecisionAnswer, [RejectPayload]>('reject');
export const abortUpdate = defineUpdate<DecisionAnswer, [AbortPayload]>('abort');

export const approveSignal = defineSignal<[ApprovePayload]>('approve');
export const rejectSignal = defineSignal<[RejectPayload]>('reject');
export const abortSignal = defineSignal<[AbortPayload]>('abort');

export const statusQuery = defineQuery<ReleaseStatus>('status');

/**
 * Answered once the platform has admitted the release (its catalogue knows the service,
 * the commit resolves) or refused it, with the reason: `gantry release start` sends it
 * with the start, so a refusal is known at once and nothing is built.
 */
export const admissionUpdate = defineUpdate<AdmissionAnswer, []>('admission');

/** Steering the production rollout through the release (forwarded to the rollout workflow). */
export const pauseUpdate = defineUpdate<DecisionAnswer, [SteerPayload]>('pause');
export const resumeUpdate = defineUpdate<DecisionAnswer, [SteerPayload]>('resume');
export const promoteUpdate = defineUpdate<DecisionAnswer, [PromotePayload]>('promote');
export const rollbackUpdate = defineUpdate<DecisionAnswer, [SteerPayload]>('rollback');

/** An exception to change management: who makes it and why (both recorded, flagged for the review). */
export interface ExceptionPayload {
  by: string;
  reason: string;
}
/** An emergency approver lets an emergency release pass deploy windows, holidays and freezes. */
export const approveEmergencyUpdate = defineUpdate<DecisionAnswer, [ExceptionPayload]>('approveEmergency');
/** A process owner lets a release (or its canary) pass the one change gate holding it now. */
export const overrideUpdate = defineUpdate<DecisionAnswer, [ExceptionPayload]>('override');

/** Environment lock: a release asks for its turn, is granted it, and gives it back. */
export interface LockRequest {
  workflowId: string;
  runId: string;
}
export const lockRequestSignal = defineSignal<[LockRequest]>('lockRequest');
export const lockReleaseSignal = defineSignal<[LockRequest]>('lockRelease');
export const lockGrantedSignal = defineSignal<[{ lockId: string }]>('lockGranted');
export interface LockState {
  holder?: LockRequest;
  queue: LockRequest[];
}
export const lockStateQuery = defineQuery<LockState>('lockState');

/**
 * A flag entity (`flag/<key>`): `set` replaces its definition, `kill` turns it off at
 * once. As updates they answer once the flag store holds the change (and the sync stream
 * has pushed it), or refuse with the reason (no role, an invalid definition, an unknown
 * flag); as signals of the same name (`temporal workflow signal`) a refusal is recorded.
 */
export const setFlagUpdate = defineUpdate<FlagChangeAnswer, [SetFlagRequest]>('set');
export const killFlagUpdate = defineUpdate<FlagChangeAnswer, [KillFlagRequest]>('kill');
export const setFlagSignal = defineSignal<[SetFlagRequest]>('set');
export const killFlagSignal = defineSignal<[KillFlagRequest]>('kill');
export const flagQuery = defineQuery<FlagView>('flag');

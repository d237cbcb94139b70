import {
  type Client,
  type WorkflowHandle,
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { ApplicationFailure, TerminatedFailure } from '@temporalio/common';
import { invalidInput } from '../cli/exit-codes';
import { outcomeFromFailureType } from '../policy/outcome';
import { releaseWorkflowId } from '../shared/ids';
import { admissionUpdate } from '../shared/messages';
import type { AdmissionAnswer, Outcome, ReleaseRequest, ReleaseResult } from '../shared/release';
import { GantryService, GantryStage, GantryVersion } from '../shared/search-attributes';
import type { releaseWorkflow } from '../workflows/release';

export type ReleaseHandle = WorkflowHandle<typeof releaseWorkflow>;

export interface StartOutcome {
  handle: ReleaseHandle;
  /** started: a new run; attached: the release was already running; finished: it had already ended. */
  how: 'started' | 'attached' | 'finished';
  /** The platform's admission, for a release that runs (new or attached). */
  admission?: AdmissionAnswer;
}

async function describeOrUndefined(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Starts the release of one version and learns at once whether the platform admitted it,
 * or attaches to it: the workflow ID is `release/<service>/<version>`, so a CI retry of
 * the same command finds the same run. A succeeded version is released again only as an
 * explicit rollback (from the same commit); a failed one only with `retry`; a refused one
 * may be started again as it is.
 *
 * The start and the admission question travel together (update-with-start): the answer
 * comes once the worker has checked the request against the platform's catalogue and
 * resolved the commit, and a refusal is thrown as an invalid-input error with the reason.
 */
export async function startOrAttachRelease(
  client: Client,
  request: ReleaseRequest,
  options: { taskQueue: string; retry?: boolean },
): Promise<StartOutcome> {
  const workflowId = releaseWorkflowId(request.service, request.version);
  const existing = await describeOrUndefined(client, workflowId);
  const status = existing?.status.name;
  if (status === 'COMPLETED') {
    const done = await releaseResult(client.workflow.getHandle(workflowId, existing!.runId));
    const same = sameCommit(request.commit, done.status);
    // The same request again (a CI retry of a job that succeeded, a rollback or not) finds its release.
    if (!options.retry && same && request.rollback?.reason === done.status?.rollback?.reason) return { handle: client.workflow.getHandle(workflowId, existing!.runId), how: 'finished' };
    // An explicit rollback to a version released before releases its commit again, as a new run of its release; anything else is refused.
    if (!(same && request.rollback)) {
      const from = done.status?.source?.commit ?? done.status?.commit;
      throw invalidInput(
        `${request.service} ${request.version} was already released successfully${from ? ` from ${from}` : ''}; a released version is never released again. Release a new version, or go back to this one with --rollback --reason … (from the same commit).`,
      );
    }
  }
  const refused = existing && status !== 'RUNNING' && (await describeEndedRelease(client, request.service, request.version))?.outcome === 'refused';
  // A failed (or otherwise ended) release is shown as it ended; a succeeded one reaching here is a rollback.
  if (existing && status !== 'RUNNING' && status !== 'COMPLETED' && !options.retry && !refused) {
    return { handle: client.workflow.getHandle(workflowId, existing.runId), how: 'finished' };
  }

  const start = new WithStartWorkflowOperation<typeof releaseWorkflow>('releaseWorkflow', {
    workflowId,
    taskQueue: options.taskQueue,
    args: [request],
    // A concurrent start of the same release (two CI jobs) joins the running one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A succeeded release runs again only as an explicit rollback (checked above).
    workflowIdReusePolicy: request.rollback ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: GantryService, value: request.service },
      { key: GantryVersion, value: request.version },
      { key: GantryStage, value: 'admission' },
    ],
    staticSummary: `Release ${request.service} ${request.version} (${request.commit.slice(0, 12)}) by ${request.author}`,
    staticDetails: [
      `**Service:** ${request.service}`,
      `**Version:** ${request.version}`,
      `**Commit:** ${request.commit}`,
      `**Author:** ${request.author}`,
    ].join('\n'),
  });
  try {
    const admission = await client.workflow.executeUpdateWithStart(admissionUpdate, { startWorkflowOperation: start });
    return { handle: await start.workflowHandle(), how: status === 'RUNNING' ? 'attached' : 'started', admission };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw invalidInput(`${request.service} ${request.version} was not admitted: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** Whether `commit` (a SHA, short or full, or a tag) names what a release was started with or built. */
function sameCommit(commit: string, status: ReleaseResult['status']): boolean {
  if (!status) return false;
  if (commit === status.commit || commit === status.source?.requested) return true;
  const built = status.source?.commit ?? status.commit;
  return /^[0-9a-f]{7,}$/.test(commit) && built.startsWith(commit);
}

/** Waits for a release to end and returns its result, whatever the outcome. */
export async function releaseResult(handle: ReleaseHandle): Promise<ReleaseResult> {
  try {
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && outcomeFromFailureType(cause.type) && cause.details?.[0]) {
        return cause.details[0] as ReleaseResult;
      }
      if (cause instanceof TerminatedFailure) return { outcome: 'aborted', reason: `terminated: ${cause.message}` };
      return { outcome: 'failed', reason: cause?.message ?? err.message };
    }
    throw err;
  }
}

/** How a release that no longer runs ended. */
export interface EndedRelease {
  /** The release's outcome; Temporal's execution status (lower case) only when the run left no result to read. */
  outcome: Outcome | Lowercase<WorkflowExecutionStatusName>;
  reason?: string;
}

/**
 * How the latest run of a release ended, or undefined while it still runs. Messages to a
 * closed run are refused by the server ("workflow execution already completed"); this is
 * what the CLI tells people instead. The run's own result is read (it carries the outcome
 * and reason, and needs no worker); Temporal's status is the answer only if that fails.
 * Throws WorkflowNotFoundError when the release does not exist.
 */
export async function describeEndedRelease(client: Client, service: string, version: string): Promise<EndedRelease | undefined> {
  const handle: ReleaseHandle = client.workflow.getHandle(releaseWorkflowId(service, version));
  const description = await handle.describe();
  // A close time is set exactly when the run is closed, whatever way it closed.
  if (!description.closeTime) return undefined;
  try {
    const { outcome, reason } = await releaseResult(client.workflow.getHandle(handle.workflowId, description.runId));
    return { outcome, reason };
  } catch {
    return { outcome: description.status.name.toLowerCase() as Lowercase<WorkflowExecutionStatusName> };
  }
}

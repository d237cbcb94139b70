import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';

/**
 * Activity stubs with the timeouts each kind of work deserves. Failures that retrying
 * cannot fix (a failing test, a conflicting artifact) are non-retryable by type.
 *
 * Every stub has a heartbeat timeout of a few seconds: long activities beat every
 * second (throttled to one beat per 2 s on the wire, see WORKER_TUNING) and quick ones
 * finish well inside it, so an activity whose worker died is retried on another worker
 * within `HEARTBEAT` instead of after its whole start-to-close timeout. Retrying is safe:
 * every activity is idempotent (a start adopts the instance already running).
 */
const HEARTBEAT = '10 seconds';
const NON_RETRYABLE = ['CommandFailed', 'CommandTimedOut', 'ArtifactConflict', 'ArtifactInvalid', 'DeployFailed'];

/** Builds, tests and smoke tests: long, heartbeating, and killed (process group and all) on abort. */
export const commands = proxyActivities<Pick<GantryActivities, 'runCommand'>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: HEARTBEAT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Packing and deploying: minutes at most, heartbeating while a process starts. */
export const delivery = proxyActivities<Pick<GantryActivities, 'publishArtifact' | 'recordProvenance' | 'startInstance' | 'sendPreviewTraffic'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Admission and the release's checkout: fetching a repository can take minutes; one that
 * cannot be fetched after a few tries refuses the release (its starter is told at once).
 */
export const sourcing = proxyActivities<Pick<GantryActivities, 'admitRelease' | 'prepareWorkspace' | 'removeWorkspace'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: ['AdmissionRefused'] },
});

/**
 * Bookkeeping calls, quick except a stop (which beats while the instance drains): retried
 * patiently, since leaving an environment half-changed is worse than waiting.
 */
export const control = proxyActivities<
  Pick<
    GantryActivities,
    'activeInstance' | 'activateInstance' | 'stopInstance' | 'requestLock' | 'isWorkflowOpen' | 'readEnvironment' | 'readChangeCalendar' | 'watchChangeCalendar'
  >
>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Router changes: quick, retried patiently — a rollback must get through. */
export const routing = proxyActivities<Pick<GantryActivities, 'ensureRouter' | 'setRoutes' | 'getRoutes'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 20, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['InvalidRoutes'] },
});

/** Measurements: an unreachable source is data (never an exception), so only real faults retry. */
export const measuring = proxyActivities<Pick<GantryActivities, 'measure' | 'metricsSourceReady'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 3 },
});

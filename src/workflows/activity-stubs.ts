import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';

/**
 * Activity stubs with the timeouts each kind of work deserves. Failures that retrying
 * cannot fix (a failing test, a conflicting artifact) are non-retryable by type.
 */
const NON_RETRYABLE = ['CommandFailed', 'CommandTimedOut', 'ArtifactConflict', 'ArtifactInvalid', 'DeployFailed'];

/** Builds, tests and smoke tests: long, heartbeating, and killed (process group and all) on abort. */
export const commands = proxyActivities<Pick<GantryActivities, 'runCommand'>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Packing and deploying: minutes at most, heartbeating while a process starts. */
export const delivery = proxyActivities<Pick<GantryActivities, 'publishArtifact' | 'startInstance' | 'sendPreviewTraffic'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Quick bookkeeping calls: retried patiently, since leaving an environment half-changed is worse than waiting. */
export const control = proxyActivities<
  Pick<GantryActivities, 'activeInstance' | 'activateInstance' | 'stopInstance' | 'requestLock' | 'isWorkflowOpen'>
>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Router changes: quick, retried patiently — a rollback must get through. */
export const routing = proxyActivities<Pick<GantryActivities, 'ensureRouter' | 'setRoutes' | 'getRoutes'>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 20, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['InvalidRoutes'] },
});

/** Measurements: an unreachable source is data (never an exception), so only real faults retry. */
export const measuring = proxyActivities<Pick<GantryActivities, 'measure'>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

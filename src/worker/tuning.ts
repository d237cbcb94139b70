import type { WorkerOptions } from '@temporalio/worker';

/**
 * Worker settings Gantry depends on. An abort reaches a running build or deploy only
 * with its next heartbeat that the worker sends to the server; by default those are
 * throttled to 80 % of the heartbeat timeout (24 s here), so an abort would take that
 * long to stop a build. Two seconds keeps aborts prompt at a negligible cost.
 */
export const WORKER_TUNING = {
  maxHeartbeatThrottleInterval: '2 seconds',
} satisfies Partial<WorkerOptions>;

import type { WorkerOptions } from '@temporalio/worker';

/**
 * Worker settings Gantry depends on. An abort reaches a running build or deploy only
 * with its next heartbeat that the worker sends to the server; by default those are
 * throttled to 80 % of the heartbeat timeout (24 s here), so an abort would take that
 * long to stop a build. Two seconds keeps aborts prompt at a negligible cost.
 *
 * A worker that dies leaves its workflows' next tasks on its own sticky queue; the
 * server hands them to another worker only after this timeout (10 s by default).
 * Three seconds bounds what a crash costs; a live worker takes its tasks in milliseconds.
 */
export const WORKER_TUNING = {
  maxHeartbeatThrottleInterval: '2 seconds',
  stickyQueueScheduleToStartTimeout: '3 seconds',
} satisfies Partial<WorkerOptions>;

import { ActivityCancellationType, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
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
const COMMANDS_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: HEARTBEAT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
};
export type CommandsStub = Pick<GantryActivities, 'runCommand'>;
export const commands = proxyActivities<CommandsStub>(COMMANDS_OPTIONS);

/** Packing and deploying: minutes at most, heartbeating while a process starts. */
const DELIVERY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
};
export type DeliveryStub = Pick<GantryActivities, 'publishArtifact' | 'recordProvenance' | 'startInstance' | 'sendPreviewTraffic'>;
export const delivery = proxyActivities<DeliveryStub>(DELIVERY_OPTIONS);

/**
 * Admission and the release's checkout: fetching a repository can take minutes; one that
 * cannot be fetched after a few tries refuses the release (its starter is told at once).
 */
const SOURCING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: ['AdmissionRefused'] },
};
export type SourcingStub = Pick<GantryActivities, 'admitRelease' | 'prepareWorkspace' | 'removeWorkspace'>;
export const sourcing = proxyActivities<SourcingStub>(SOURCING_OPTIONS);

/**
 * Bookkeeping calls, quick except a stop (which beats while the instance drains): retried
 * patiently, since leaving an environment half-changed is worse than waiting.
 */
const CONTROL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};
export type ControlStub = Pick<
  GantryActivities,
  | 'activeInstance'
  | 'activateInstance'
  | 'stopInstance'
  | 'requestLock'
  | 'isWorkflowOpen'
  | 'readEnvironment'
  | 'placeEnvironment'
  | 'readChangeCalendar'
  | 'watchChangeCalendar'
  | 'readCalendarInForce'
  | 'watchCalendarInForce'
  | 'verifyDecisionSignature'
>;
export const control = proxyActivities<ControlStub>(CONTROL_OPTIONS);

/** Router changes: quick, retried patiently — a rollback must get through. */
const ROUTING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 20, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['InvalidRoutes'] },
};
export type RoutingStub = Pick<GantryActivities, 'ensureRouter' | 'setRoutes' | 'getRoutes'>;
export const routing = proxyActivities<RoutingStub>(ROUTING_OPTIONS);

/** Measurements: an unreachable source is data (never an exception), so only real faults retry. */
const MEASURING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 3 },
};
export type MeasuringStub = Pick<GantryActivities, 'measure' | 'metricsSourceReady'>;
export const measuring = proxyActivities<MeasuringStub>(MEASURING_OPTIONS);

/**
 * The early stop's watch: it runs as long as the soak waits for its next check (up to an
 * interval), heartbeating at every look, and is cancelled when the soak stops waiting.
 */
const WATCHING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: HEARTBEAT,
  retry: { maximumAttempts: 3 },
};
export type WatchingStub = Pick<GantryActivities, 'watchForEarlyStop'>;
export const watching = proxyActivities<WatchingStub>(WATCHING_OPTIONS);

/**
 * Migrations of a schema release: each statement is bounded by the catalogue's statement
 * time-out, so half an hour covers a long folder. Nothing is retried by Temporal except a
 * lost worker: an unreachable or busy database comes back to the workflow, which says in
 * its status that it waits for the database and asks again; the other failures need a
 * person. A cancelled release waits for the running migration to commit or roll back.
 */
const MIGRATING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['MigrationFolderInvalid', 'MigrationChanged', 'MigrationFailed', 'MigrationDatabaseRefused', 'MigrationDatabaseUnreachable', 'MigrationBusy', 'MigrationDatabaseUnset'],
  },
};
export type MigratingStub = Pick<GantryActivities, 'applyMigrations'>;
export const migrating = proxyActivities<MigratingStub>(MIGRATING_OPTIONS);

/**
 * The flag store and the flag roles: quick (a read, or a write under the store's lock),
 * retried briefly, then the flag's update fails with the reason, so a kill that cannot be
 * written is told to the person at once instead of waiting behind retries. An invalid
 * definition is not retried.
 */
const FLAGGING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['FlagInvalid'] },
};
export type FlaggingStub = Pick<GantryActivities, 'readStoredFlag' | 'checkFlagDefinition' | 'writeFlag' | 'flagAuthority'>;
export const flagging = proxyActivities<FlaggingStub>(FLAGGING_OPTIONS);

/**
 * The same stubs, sent to another task queue (a worker host's own) and failing with a
 * schedule-to-start timeout when no worker picks the task up within `scheduleToStart`:
 * a host whose worker is gone is then noticed, not waited on in silence.
 */
export function stubsOn(taskQueue: string, scheduleToStartTimeout: ActivityOptions['scheduleToStartTimeout']) {
  const on = (options: ActivityOptions): ActivityOptions => ({ ...options, taskQueue, scheduleToStartTimeout });
  return {
    commands: proxyActivities<CommandsStub>(on(COMMANDS_OPTIONS)),
    delivery: proxyActivities<DeliveryStub>(on(DELIVERY_OPTIONS)),
    sourcing: proxyActivities<SourcingStub>(on(SOURCING_OPTIONS)),
    control: proxyActivities<ControlStub>(on(CONTROL_OPTIONS)),
    routing: proxyActivities<RoutingStub>(on(ROUTING_OPTIONS)),
    measuring: proxyActivities<MeasuringStub>(on(MEASURING_OPTIONS)),
    watching: proxyActivities<WatchingStub>(on(WATCHING_OPTIONS)),
    migrating: proxyActivities<MigratingStub>(on(MIGRATING_OPTIONS)),
  };
}

export type ActivityStubs = ReturnType<typeof stubsOn>;

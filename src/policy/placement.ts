/**
 * Where machine-local work runs when several workers serve one task queue.
 *
 * Every worker has a host identity and polls, beside the shared task queue, a queue of
 * its own host (`<task queue>/host/<host>`). Work that touches something only that
 * machine has (an environment's instances and router, a release's checkout) is sent to
 * that queue; everything else may run on any worker.
 */

/** What a workflow learns, from an activity's result, about where some work is pinned. */
export interface Placement {
  host: string;
  /** The host's own task queue (it depends on the worker's settings, so it comes from an activity). */
  taskQueue: string;
}

/** Letters, digits, `.`, `_` and `-`, as in a DNS label or a hostname: it names a task queue and appears in statuses. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Why a host identity cannot be used, or undefined when it can. `variable` names the
 * setting it came from, so the message says what to change.
 * Example: `workerHostProblem('web 2', 'GANTRY_WORKER_HOST')` → "GANTRY_WORKER_HOST "web 2" …".
 */
export function workerHostProblem(host: string, variable: string): string | undefined {
  if (HOST_NAME.test(host)) return undefined;
  return (
    `${variable} ${JSON.stringify(host)} cannot name a worker host: use 1 to 63 letters, digits, '.', '_' or '-', ` +
    `starting with a letter or digit, and give every machine its own (e.g. ${variable}=worker-1)`
  );
}

/** The task queue a host's worker polls for machine-local activities. */
export function hostTaskQueue(sharedTaskQueue: string, host: string): string {
  return `${sharedTaskQueue}/host/${host}`;
}

/**
 * The host an environment runs on. An environment that has one keeps it (its instances
 * and router live there, and only that machine can stop them); one that has none yet
 * is placed on the worker asking, the one that picked up the placement task.
 * Example: recorded `web-2`, claimant `web-1` → `{ host: 'web-2', claimed: false }`;
 * recorded none → `{ host: 'web-1', claimed: true }`.
 */
export function placeEnvironment(recorded: string | undefined, claimant: string): { host: string; claimed: boolean } {
  return recorded ? { host: recorded, claimed: false } : { host: claimant, claimed: true };
}

/**
 * What a status says while the worker of a host does not pick up work sent to it: who,
 * since when, and what a person should do. Gantry keeps asking meanwhile.
 */
export function hostNotAnswering(placement: Placement, since: string, what: string): string {
  return (
    `host ${placement.host} is not answering since ${since} (nobody polls ${placement.taskQueue}) while ${what}: ` +
    `start its worker again (gantry worker with GANTRY_WORKER_HOST=${placement.host} and that machine's GANTRY_HOME); ` +
    'Gantry keeps trying and carries on once it answers'
  );
}

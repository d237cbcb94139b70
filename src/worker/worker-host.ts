import os from 'node:os';
import { workerHostProblem } from '../policy/placement';

/** A worker setting that cannot work: exit 2 with the message, nothing started. */
export class WorkerSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerSettingError';
  }
}

/**
 * The worker's host identity: `GANTRY_WORKER_HOST`, or the machine's hostname. It names
 * the task queue of this machine's local work (its instances, routers and checkouts), so
 * it must stay the same across restarts of the worker on that machine (with its
 * `GANTRY_HOME`) and differ between machines. A container's hostname changes when it is
 * recreated: set the variable there.
 */
export function workerHostFromEnv(env: NodeJS.ProcessEnv = process.env, hostname: () => string = os.hostname): string {
  const configured = env.GANTRY_WORKER_HOST?.trim();
  const host = configured || hostname();
  const problem = workerHostProblem(host, configured ? 'GANTRY_WORKER_HOST' : 'GANTRY_WORKER_HOST (unset, so the hostname)');
  if (problem) throw new WorkerSettingError(problem);
  return host;
}

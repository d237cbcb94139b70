import { setTimeout as delay } from 'node:timers/promises';

/**
 * Signals for whole process groups. Gantry starts every command as the leader of its
 * own group (spawn with `detached: true`), so the group id is the leader's pid and one
 * signal reaches everything the command started: `sh -c 'a & b'`, test runners that
 * fork workers, servers that spawn helpers.
 */

export const DEFAULT_KILL_GRACE_MS = 5_000;
const POLL_MS = 50;
/** How long to wait for the kernel to reap a group after SIGKILL before giving up. */
const AFTER_KILL_WAIT_MS = 2_000;

/** True when a process with this pid exists (zombies included, until reaped). */
export function isProcessAlive(pid: number): boolean {
  return probe(assertPid(pid));
}

/** True when at least one process of the group led by `pgid` exists. */
export function isProcessGroupAlive(pgid: number): boolean {
  return probe(-assertPid(pgid));
}

/**
 * Stops a process group: SIGTERM so programs can shut down cleanly, then SIGKILL for
 * whatever is still there after `graceMs`. Resolves once the group is gone (or, if
 * even SIGKILL did not empty it in time, after a short wait). A group that is already
 * gone is not an error: stopping is idempotent.
 */
export async function killProcessGroup(pgid: number, graceMs: number = DEFAULT_KILL_GRACE_MS): Promise<void> {
  const target = -assertPid(pgid);
  if (!signal(target, 'SIGTERM')) return;
  if (await waitUntilGone(target, graceMs)) return;
  if (!signal(target, 'SIGKILL')) return;
  await waitUntilGone(target, AFTER_KILL_WAIT_MS);
}

async function waitUntilGone(target: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (probe(target)) {
    if (Date.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}

/**
 * A pid of 0 or 1 would turn `kill(-pid)` into "our own group" or "every process we may
 * signal"; a corrupted state file must never get that far.
 */
function assertPid(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`refusing to signal pid ${pid}: not a process Gantry started`);
  return pid;
}

/** Sends a signal; false when the target does not exist. */
function signal(target: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function probe(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; it is alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

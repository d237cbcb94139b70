import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Signals for whole process groups. Gantry starts every command as the leader of its
 * own group (spawn with `detached: true`), so the group id is the leader's pid and one
 * signal reaches everything the command started: `sh -c 'a & b'`, test runners that
 * fork workers, servers that spawn helpers.
 */

export const DEFAULT_KILL_GRACE_MS = 5_000;
const POLL_MS = 50;
/** How long to wait for a group to disappear after SIGKILL before giving up. */
const AFTER_KILL_WAIT_MS = 2_000;

/** True when a process with this pid exists and has not exited. */
export function isProcessAlive(pid: number): boolean {
  if (!probe(assertPid(pid))) return false;
  if (!HAS_PROC) return true;
  const stat = readProcStat(String(pid));
  return stat !== undefined && !hasExited(stat);
}

/** True when at least one process of the group led by `pgid` exists and has not exited. */
export function isProcessGroupAlive(pgid: number): boolean {
  if (!probe(-assertPid(pgid))) return false;
  if (!HAS_PROC) return true;
  return procStats().some((stat) => stat.pgrp === pgid && !hasExited(stat));
}

/**
 * When a running process started, in clock ticks since boot; undefined when it is gone,
 * has exited, or there is no /proc to ask. A pid alone is reused once its process is
 * gone; a pid with its start time names one process, so a record kept across a crash can
 * tell the process it meant from a later one that happens to have the same pid.
 */
export function processStartTime(pid: number): number | undefined {
  if (!HAS_PROC) return undefined;
  const stat = readProcStat(String(assertPid(pid)));
  return stat === undefined || hasExited(stat) ? undefined : stat.startTime;
}

/**
 * Stops a process group: SIGTERM so programs can shut down cleanly, then SIGKILL for
 * whatever is still running after `graceMs`. Resolves once nothing in the group runs
 * (or, if even SIGKILL did not manage that in time, after a short wait). A group that
 * is already gone is not an error: stopping is idempotent.
 */
export async function killProcessGroup(pgid: number, graceMs: number = DEFAULT_KILL_GRACE_MS): Promise<void> {
  assertPid(pgid);
  if (!signal(-pgid, 'SIGTERM')) return;
  if (await waitUntilGone(pgid, graceMs)) return;
  if (!signal(-pgid, 'SIGKILL')) return;
  await waitUntilGone(pgid, AFTER_KILL_WAIT_MS);
}

async function waitUntilGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessGroupAlive(pgid)) {
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

/*
 * An exited process stays in the process table as a zombie until its parent reaps it,
 * and `kill(pid, 0)` still finds it. Orphans are reaped by pid 1, which in some
 * containers does that only every second or two: a stopped group would look alive,
 * and be sent SIGKILL, long after everything in it exited. Where /proc exists it
 * tells exited from running; elsewhere `kill(pid, 0)` has the last word.
 */
const HAS_PROC = existsSync('/proc/self/stat');

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot when the process started. */
  startTime: number;
}

function hasExited(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

function procStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => readProcStat(pid) ?? []);
}

/** Undefined when the process is gone (or its entry vanished while being read). */
function readProcStat(pid: string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp … starttime(22nd) …": comm may hold spaces and parentheses,
  // so split after the last ")"; field n of proc(5) is then fields[n - 3].
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]), startTime: Number(fields[19]) };
}

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An exclusive lock between processes on one machine: a file created with O_EXCL that
 * holds the owner's process ID. A lock whose owner is dead (a worker killed while it
 * held the store) is taken over. Two processes finding the same dead owner at the same
 * instant could both take over; that needs a crash first and is accepted.
 */
export async function acquireFileLock(file: string, options: { timeoutMs: number; pollMs?: number; what: string }): Promise<() => void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => releaseFileLock(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(file);
    if (owner !== undefined && !isAlive(owner)) {
      removeQuietly(file);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${options.what} is held by process ${owner ?? '?'} (lock ${file}) for more than ${options.timeoutMs} ms; try again, or remove the lock if that process is gone`);
    }
    await sleep(options.pollMs ?? 20);
  }
}

function releaseFileLock(file: string): void {
  if (lockOwner(file) === process.pid) removeQuietly(file);
}

function lockOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

import { hostname } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { isProcessAlive, isProcessGroupAlive, killProcessGroup, processStartTime } from '../providers/process/process-group';
import { commandEnvironment } from '../policy/command-environment';
import { ProcessSpawnError, runProcess } from '../providers/process/run-process';
import type { ProcessResult } from '../providers/process/run-process';

export interface RunCommandInput {
  /** What the command is for, in words ("build", "unit tests"): used in logs and errors. */
  label: string;
  command: string;
  /** Absolute working directory. */
  cwd: string;
  env?: Record<string, string>;
  /** Worker variables the command may see beyond the allow-list (the service's `passEnv`). */
  passEnv?: string[];
  timeoutMs?: number;
}

export interface CommandResult {
  label: string;
  exitCode: number;
  durationMs: number;
  /** The last lines of output. */
  tail: string[];
}

/**
 * Well inside any sensible heartbeat timeout; the SDK throttles what it sends to the
 * server, so beating often costs little and lets cancellation arrive promptly.
 */
const HEARTBEAT_INTERVAL_MS = 1_000;

/** Heartbeat details travel to the server on every beat; a minified bundle's one line should not. */
const MAX_LINE_IN_HEARTBEAT = 200;

/**
 * What an attempt heartbeats. Temporal hands the last details the server received to
 * the next attempt, so when a worker dies mid-command its retry learns which process
 * group was left running (a detached group survives its worker) and stops it before
 * starting the command again in the same folder.
 */
export interface CommandHeartbeat {
  /** The command's process group (the pid of its `sh`, which leads the group). */
  pgid: number;
  /** Where the group runs: a pgid means nothing on another machine. */
  host: string;
  /** The leader's start time (see processStartTime), when known: tells the group from a later one reusing the pid. */
  started?: number;
  lastLine: string;
}

type Logger = Context['log'];

export function createCommandActivities() {
  return {
    /**
     * Runs one of the service's own commands (build, tests, lint, smoke). Every output
     * line goes to the activity log; cancelling the activity stops the whole process
     * tree. A failing command is final: re-running the same commit gives the same
     * result, so the failure is not retried.
     */
    async runCommand(input: RunCommandInput): Promise<CommandResult> {
      const ctx = Context.current();
      // At worst killProcessGroup's 5 s grace plus 2 s after SIGKILL, inside the 10 s
      // heartbeat timeout the workflows give commands (src/workflows/activity-stubs.ts).
      await stopLeftover(ctx.info.heartbeatDetails, input.label, ctx.log);

      // No beat before the command has started: until then the server keeps the previous
      // attempt's details (so an attempt dying while it cleans up passes the leftover on),
      // and the first beat of an attempt goes out at once while later ones are throttled,
      // so the new pgid reaches the server without waiting for a throttle interval.
      let beat: CommandHeartbeat | undefined;
      const heartbeat = () => {
        if (beat) ctx.heartbeat(beat);
      };
      const ticker = setInterval(heartbeat, HEARTBEAT_INTERVAL_MS);

      let result: ProcessResult;
      try {
        result = await runProcess({
          command: input.command,
          cwd: input.cwd,
          // The command runs code from the commit: it sees a minimal environment, never the worker's credentials.
          env: commandEnvironment(process.env, input.passEnv ?? [], input.env),
          inheritEnv: false,
          timeoutMs: input.timeoutMs,
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => {
            const started = processStartTime(pid);
            beat = { pgid: pid, host: hostname(), ...(started === undefined ? {} : { started }), lastLine: '' };
            heartbeat();
          },
          onLine: (line, stream) => {
            if (beat) beat.lastLine = line.slice(0, MAX_LINE_IN_HEARTBEAT);
            ctx.log.info(line, { label: input.label, stream });
          },
        });
      } catch (err) {
        if (!(err instanceof ProcessSpawnError)) throw err;
        throw ApplicationFailure.create({
          type: 'CommandFailed',
          nonRetryable: true,
          message: `${input.label} could not start: ${err.message}`,
          cause: err,
        });
      } finally {
        clearInterval(ticker);
      }

      // Rethrows the CancelledFailure the SDK raised, so the workflow sees a cancellation, not a failure.
      if (result.stoppedBy === 'abort') await ctx.cancelled;

      const { exitCode, durationMs, tail } = result;
      if (result.stoppedBy === 'timeout') {
        throw ApplicationFailure.create({
          type: 'CommandTimedOut',
          // It already used its whole budget; another attempt would most likely do the same.
          nonRetryable: true,
          message: `${input.label} timed out after ${input.timeoutMs} ms: \`${input.command}\` was stopped`,
          details: [{ timeoutMs: input.timeoutMs, tail }],
        });
      }
      if (exitCode !== 0) {
        const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${exitCode}`;
        throw ApplicationFailure.create({
          type: 'CommandFailed',
          nonRetryable: true,
          message: `${input.label} failed: \`${input.command}\` ${how}`,
          details: [{ exitCode, tail }],
        });
      }
      return { label: input.label, exitCode, durationMs, tail };
    },
  };
}

/**
 * Stops the process group a previous attempt of this activity left running, as named by
 * the heartbeat details it sent. Details from before they named a group (a plain string),
 * a group that has ended, and a pid that now belongs to someone else are all left alone.
 * Never fails the attempt: not being able to stop a leftover is no reason not to run.
 */
async function stopLeftover(details: unknown, label: string, log: Logger): Promise<void> {
  const leftover = leftoverOf(details);
  if (!leftover) return;
  const { pgid, host, started } = leftover;
  if (host !== hostname()) {
    log.warn(`the previous attempt of ${label} ran on ${host}; its process group ${pgid} there may still be running`, {
      label,
      pgid,
      host,
    });
    return;
  }
  if (!isProcessGroupAlive(pgid)) return;
  // A live leader with another start time is a new process that got the pid after the
  // group ended. (A group that outlived its leader cannot be checked this way, but its
  // id stays taken while any member lives, so it is still the group that was recorded.)
  if (started !== undefined && isProcessAlive(pgid)) {
    const now = processStartTime(pgid);
    if (now !== undefined && now !== started) return;
  }
  log.warn(`stopping process group ${pgid} left running by the previous attempt of ${label}`, { label, pgid });
  try {
    await killProcessGroup(pgid);
  } catch (err) {
    log.warn(`could not stop process group ${pgid} left by the previous attempt of ${label}: ${(err as Error).message}`, {
      label,
      pgid,
    });
  }
}

/** The leftover named by a previous attempt's details, if they name one (see CommandHeartbeat). */
function leftoverOf(details: unknown): Pick<CommandHeartbeat, 'pgid' | 'host' | 'started'> | undefined {
  // Undefined on a first attempt; a string from attempts recorded before details named a group.
  if (typeof details !== 'object' || details === null) return undefined;
  const { pgid, host, started } = details as Record<string, unknown>;
  // pid 0 or 1 would make a group kill reach far more than one command; killProcessGroup refuses them too.
  if (typeof pgid !== 'number' || !Number.isInteger(pgid) || pgid <= 1 || typeof host !== 'string') return undefined;
  return { pgid, host, ...(typeof started === 'number' ? { started } : {}) };
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import { ProcessSpawnError, runProcess } from '../providers/process/run-process';
import type { ProcessResult } from '../providers/process/run-process';

export interface RunCommandInput {
  /** What the command is for, in words ("build", "unit tests"): used in logs and errors. */
  label: string;
  command: string;
  /** Absolute working directory. */
  cwd: string;
  env?: Record<string, string>;
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
      let lastLine = '';
      const heartbeat = () => ctx.heartbeat(lastLine);
      heartbeat();
      const ticker = setInterval(heartbeat, HEARTBEAT_INTERVAL_MS);

      let result: ProcessResult;
      try {
        result = await runProcess({
          command: input.command,
          cwd: input.cwd,
          env: input.env,
          timeoutMs: input.timeoutMs,
          signal: ctx.cancellationSignal,
          onLine: (line, stream) => {
            lastLine = line;
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

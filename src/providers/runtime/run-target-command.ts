import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess, type ProcessResult } from '../process/run-process';

/** The four things a command target is told to do. */
export type TargetVerb = 'deploy' | 'activate' | 'stop' | 'status';

export interface TargetCommandRun {
  verb: TargetVerb;
  command: string;
  cwd: string;
  /** The whole environment the command gets (nothing else is inherited). */
  env: Record<string, string>;
  /** Each attempt is killed, with its whole process group, after this long. */
  timeoutMs: number;
  /** Further attempts after a failed one (non-zero exit or time-out). */
  retries: number;
  /** What the command acts on, for messages: `web@1.2.3 in staging`. */
  subject: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  killGraceMs?: number;
  /** Pause before the n-th retry is n times this (default 1 s). */
  retryDelayMs?: number;
}

export interface TargetCommandOutcome {
  ok: boolean;
  attempts: number;
  /** How the last attempt ended. */
  result: ProcessResult;
  /** The last `http(s)://…` line the last attempt printed on stdout: where a deployed instance answers. */
  url?: string;
  /** How many lines the last attempt printed on stdout and stderr together. */
  lineCount: number;
}

const TAIL_LINES = 20;
const URL_LINE = /^https?:\/\/\S+$/;

/**
 * Runs one of a command target's commands with `sh -c`, again after a failure as many
 * times as the target allows. A time-out kills the attempt's whole process group (what
 * it started in the background too, unless it left the group on purpose with setsid).
 * Never throws for a failed command: the outcome says how it ended, and
 * `describeTargetFailure` turns it into a message.
 */
export async function runTargetCommand(run: TargetCommandRun): Promise<TargetCommandOutcome> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let url: string | undefined;
    let lineCount = 0;
    const result = await runProcess({
      command: run.command,
      cwd: run.cwd,
      env: run.env,
      inheritEnv: false,
      timeoutMs: run.timeoutMs,
      tailLines: TAIL_LINES,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.killGraceMs !== undefined ? { killGraceMs: run.killGraceMs } : {}),
      onLine: (line, stream) => {
        lineCount += 1;
        const trimmed = line.trim();
        if (stream === 'stdout' && URL_LINE.test(trimmed)) url = trimmed;
        run.onLine?.(line);
      },
    });
    const ok = result.exitCode === 0 && result.stoppedBy === undefined;
    const outcome: TargetCommandOutcome = { ok, attempts, result, lineCount, ...(url ? { url } : {}) };
    if (ok || attempts > run.retries || result.stoppedBy === 'abort') return outcome;
    run.onLine?.(`${run.verb} failed (${howItEnded(run, result)}); trying again (${attempts} of ${run.retries + 1} attempts made)`);
    await sleep((run.retryDelayMs ?? 1_000) * attempts, undefined, run.signal ? { signal: run.signal } : {});
  }
}

/**
 * `deploy of web@1.2.3 in staging exited with code 3 (after 2 attempts). Last lines of
 * its output:` and the tail, or `it printed nothing` when there is none: an empty reason
 * would leave a person guessing whether the output was lost.
 */
export function describeTargetFailure(run: Pick<TargetCommandRun, 'verb' | 'subject' | 'timeoutMs'>, outcome: TargetCommandOutcome): string {
  const attempts = outcome.attempts > 1 ? ` (after ${outcome.attempts} attempts)` : '';
  return `${run.verb} of ${run.subject} ${howItEnded(run, outcome.result)}${attempts}${outputOf(outcome.result)}`;
}

/** The output tail as the end of a sentence: `; it printed nothing` or `. Last lines of its output:` and the lines. */
export function outputOf(result: ProcessResult): string {
  if (result.tail.length === 0) return '; it printed nothing';
  return `. Last lines of its output:\n${result.tail.map((line) => `  ${line}`).join('\n')}`;
}

function howItEnded(run: Pick<TargetCommandRun, 'timeoutMs'>, result: ProcessResult): string {
  if (result.stoppedBy === 'timeout') return `did not finish within ${formatMs(run.timeoutMs)} and was killed with everything it started; raise the target's timeout if it needs longer`;
  if (result.stoppedBy === 'abort') return 'was cancelled';
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

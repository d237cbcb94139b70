/** Exit codes CI can branch on. */
export const EXIT = {
  /** The command did what was asked; for a release: it succeeded. */
  ok: 0,
  /** The release ended unsuccessfully (failed, rejected, aborted, expired, rolled back), or a check failed. */
  unsuccessful: 1,
  /** Invalid input: nothing was started or changed. */
  invalidInput: 2,
  /** Temporal or other infrastructure could not be reached. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one clear message and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const invalidInput = (message: string) => new CliError(EXIT.invalidInput, message);
export const unreachable = (message: string) => new CliError(EXIT.unreachable, message);

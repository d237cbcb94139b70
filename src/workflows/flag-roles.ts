import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { type FlagAction, checkFlagRole } from '../policy/flag-authority';
import { flagging } from './activity-stubs';

/**
 * Why `who` may not set or kill flag `key`, or undefined when they may: the roles are read
 * from the platform's catalogue as it is now, then judged by `checkFlagRole`. A catalogue
 * that cannot be read refuses the change (saying why) rather than letting it through.
 */
export async function flagRefusal(action: FlagAction, who: string, key: string): Promise<string | undefined> {
  try {
    const verdict = checkFlagRole(action, who, key, await flagging.flagAuthority());
    return verdict.ok ? undefined : verdict.reason;
  } catch (err) {
    return `${who}'s role could not be checked, so nothing changed: ${causeOf(err).message}`;
  }
}

/** Refuses an update from its handler: the caller gets the reason; the entity goes on. */
export function flagRefused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'FlagRefused', message, nonRetryable: true });
}

/** The activity's own failure, not the wrapper that says an activity failed. */
export function causeOf(err: unknown): Error {
  return err instanceof ActivityFailure && err.cause ? err.cause : (err as Error);
}

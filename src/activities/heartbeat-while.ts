import { Context } from '@temporalio/activity';

/**
 * Often enough for any heartbeat timeout Gantry sets (10 s); the SDK throttles what it
 * actually sends to the server, so beating often costs little.
 */
const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeats while `work` runs. Activities with a heartbeat timeout are declared lost
 * as soon as the beats stop, so a crashed worker costs seconds instead of the whole
 * start-to-close timeout; `details` says what the activity was doing when it was lost.
 */
export async function heartbeatWhile<T>(details: string, work: Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = () => ctx.heartbeat(details);
  beat();
  const ticker = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    return await work;
  } finally {
    clearInterval(ticker);
  }
}

import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';

/** Polls a release's status query (queries do not advance time) until `ready` holds; fails after `timeoutMs` (20 s). */
export async function awaitStatus(
  handle: { query: (q: typeof statusQuery) => Promise<ReleaseStatus> },
  ready: (s: ReleaseStatus) => boolean,
  timeoutMs = 20_000,
): Promise<ReleaseStatus> {
  for (let i = 0; i < timeoutMs / 50; i++) {
    const status = await handle.query(statusQuery);
    if (ready(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the release never reached the expected state');
}

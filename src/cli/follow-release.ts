import { setTimeout as delay } from 'node:timers/promises';
import type { ReleaseHandle } from '../client/release-client';
import { releaseResult } from '../client/release-client';
import { statusQuery } from '../shared/messages';
import type { ReleaseResult, ReleaseStatus } from '../shared/release';
import { stageLine } from './render-status';

/**
 * Follows a running release to its end, printing each change of stage or of what it
 * waits for: one rewritten line on a terminal, plain lines otherwise (CI logs).
 */
export async function followRelease(
  handle: ReleaseHandle,
  out: NodeJS.WriteStream,
  options: { pollMs?: number; onStatus?: (status: ReleaseStatus) => void } = {},
): Promise<ReleaseResult> {
  let done = false;
  const result = releaseResult(handle).finally(() => {
    done = true;
  });
  const live = Boolean(out.isTTY);
  let last = '';
  let approvalHintShown = false;
  while (!done) {
    try {
      const status = await handle.query(statusQuery);
      options.onStatus?.(status);
      const line = stageLine(status);
      if (line !== last) {
        if (live) out.write(`\r\x1b[2K${line}`);
        else out.write(`${new Date().toISOString()} ${line}\n`);
        last = line;
      }
      if (status.stage === 'approval' && !status.outcome && !approvalHintShown) {
        approvalHintShown = true;
        out.write(`${live ? '\n' : ''}${approvalHint(status)}\n`);
      }
    } catch {
      // A query can fail while no worker is up; the release itself goes on. Keep watching.
    }
    await Promise.race([result.catch(() => undefined), delay(options.pollMs ?? 1000)]);
  }
  if (live && last) out.write('\n');
  return result;
}

function approvalHint(s: ReleaseStatus): string {
  const who = s.approvers.find((a) => a !== s.author) ?? '<approver>';
  return [
    `Waiting for approval. Approve with:`,
    `  gantry release approve ${s.service} ${s.version} --as ${who}`,
    `  temporal workflow update execute -w ${s.workflowId} --name approve --input '{"by":"${who}"}'`,
  ].join('\n');
}

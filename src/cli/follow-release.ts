import { setTimeout as delay } from 'node:timers/promises';
import type { ReleaseHandle } from '../client/release-client';
import { releaseResult } from '../client/release-client';
import { statusQuery } from '../shared/messages';
import type { ReleaseResult, ReleaseStatus, StageRecord } from '../shared/release';
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
  let printedStages = 0;
  let approvalHintShown = false;
  while (!done) {
    try {
      const status = await handle.query(statusQuery);
      options.onStatus?.(status);
      // Every stage is printed once from the timeline, so a stage that passed between two
      // polls still shows; on a terminal the current line is also rewritten as it changes.
      for (const record of status.timeline.slice(printedStages)) {
        if (live) out.write(`\r\x1b[2K`);
        out.write(`${stageRecordLine(status, record)}\n`);
        last = '';
      }
      printedStages = status.timeline.length;
      const line = stageLine(status);
      if (line !== last) {
        if (live) out.write(`\r\x1b[2K${line}`);
        else if (status.waitingFor) out.write(`${new Date().toISOString()}   waiting for ${status.waitingFor}\n`);
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
  // The stages that passed after the last poll.
  const final = await result;
  if (live && last) out.write('\r\x1b[2K');
  for (const record of final.status?.timeline.slice(printedStages) ?? []) {
    if (record.stage !== 'done') out.write(`${stageRecordLine(final.status!, record)}\n`);
  }
  return final;
}

function stageRecordLine(status: ReleaseStatus, record: StageRecord): string {
  return `${record.startedAt} ${status.service} ${status.version}: ${record.stage}${record.note ? ` (${record.note})` : ''}`;
}

function approvalHint(s: ReleaseStatus): string {
  const who = s.approvers.find((a) => a !== s.author) ?? '<approver>';
  return [
    `Waiting for approval. Approve with:`,
    `  gantry release approve ${s.service} ${s.version} --as ${who}`,
    `  temporal workflow update execute -w ${s.workflowId} --name approve --input '{"by":"${who}"}'`,
  ].join('\n');
}

import { setTimeout as delay } from 'node:timers/promises';
import type { ReleaseHandle } from '../client/release-client';
import { releaseResult } from '../client/release-client';
import { statusQuery } from '../shared/messages';
import type { ReleaseResult, ReleaseStatus, StageRecord } from '../shared/release';
import { LiveArea } from './live-area';
import { stageLine } from './render-status';
import { rolloutLogLine, rolloutPanel } from './rollout-panel';

/**
 * Follows a running release to its end, printing each change of stage or of what it
 * waits for, and a progressive rollout's step, traffic split, soak and last verdict:
 * redrawn in place on a terminal, timestamped lines otherwise (CI logs).
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
  // On a terminal the stage and the rollout panel are redrawn in place; elsewhere (CI logs) each change is a timestamped line.
  const live = out.isTTY ? new LiveArea(out) : undefined;
  const print = (text: string) => (live ? live.print(text) : out.write(text.endsWith('\n') ? text : `${text}\n`));
  let lastWaiting = '';
  let lastRollout = '';
  let printedStages = 0;
  let approvalHintShown = false;
  while (!done) {
    try {
      const status = await handle.query(statusQuery);
      options.onStatus?.(status);
      // Every stage is printed once from the timeline, so a stage that passed between two polls still shows.
      for (const record of status.timeline.slice(printedStages)) print(stageRecordLine(status, record));
      printedStages = status.timeline.length;
      const rollout = status.rollout && !status.outcome ? status.rollout : undefined;
      if (live) live.render([stageLine(status), ...(rollout ? rolloutPanel(rollout, Date.now()) : [])]);
      else {
        if (status.waitingFor && status.waitingFor !== lastWaiting) out.write(`${new Date().toISOString()}   waiting for ${status.waitingFor}\n`);
        lastWaiting = status.waitingFor ?? '';
        const rolloutLine = rollout ? rolloutLogLine(rollout) : '';
        if (rolloutLine && rolloutLine !== lastRollout) out.write(`${new Date().toISOString()}   ${rolloutLine}\n`);
        lastRollout = rolloutLine;
      }
      if (status.stage === 'approval' && !status.outcome && !approvalHintShown) {
        approvalHintShown = true;
        print(approvalHint(status));
      }
    } catch {
      // A query can fail while no worker is up; the release itself goes on. Keep watching.
    }
    await Promise.race([result.catch(() => undefined), delay(options.pollMs ?? 1000)]);
  }
  // The stages that passed after the last poll.
  const final = await result;
  live?.clear();
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

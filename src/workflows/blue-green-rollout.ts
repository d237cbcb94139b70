import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { analyse } from '../policy/analysis';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutResult } from '../shared/rollout';
import { commands, delivery, measuring } from './activity-stubs';
import { blueGreenChecks } from '../policy/rollout-plan';
import { soakExtension, waitBeforeCheckMs } from '../policy/soak';
import {
  awaitMetricsSource,
  commitAndPromote,
  holdBeforeTrafficMoves,
  prepareRollout,
  rollBack,
  rolledBack,
  setSplit,
  startNewVersion,
  waitWhilePaused,
} from './rollout-actions';
import { RolloutState } from './rollout-state';

/**
 * Blue/green: green (the new version) starts beside blue at 0 % of public traffic and is
 * verified — health, smoke test, and an analysis of traffic sent to it through the
 * preview header. After an optional approval all traffic switches at once. Blue keeps
 * running for `keepBlueFor` while green is analysed, so a failure (or a person) switches
 * back instantly; then blue is retired.
 */
export async function blueGreenRolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const rollout = new RolloutState(input, 'blueGreen');
  const config = input.blueGreen;
  const { stable: blue, routerUrl, newId: greenId } = await prepareRollout(input, rollout);
  try {
    const green = await startNewVersion(input);
    if (!blue) return await commitAndPromote(input, rollout, green, undefined, 'no blue version yet: the first release takes all traffic');
    const metricsDown = await awaitMetricsSource(input, rollout, config.interval);
    if (metricsDown) return await rolledBack(input, rollout, blue, green, metricsDown);
    await setSplit(input, rollout, blue, green, 0);

    const verdict = (await verifyGreen(input, rollout, routerUrl, blue, green)) ?? (await holdBeforeTrafficMoves(rollout, 'verifying'));
    if (verdict) return rolledBack(input, rollout, blue, green, verdict);

    if (config.approveSwitch) {
      rollout.status.phase = 'waiting_for_switch';
      rollout.report();
      await condition(() => rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined);
      if (rollout.rollbackRequest) return rolledBack(input, rollout, blue, green, `switch refused by ${rollout.rollbackRequest.by}`);
      rollout.promoteRequest = undefined;
    }

    await setSplit(input, rollout, blue, green, 100);
    const failure = await keepBlue(input, rollout, green);
    if (failure) return await rolledBack(input, rollout, blue, green, failure);
    return await commitAndPromote(input, rollout, green, blue);
  } catch (err) {
    const reason = isCancellation(err) ? 'the release was aborted' : `the rollout failed: ${(err as Error).message}`;
    await CancellationScope.nonCancellable(() => rollBack(input, rollout, blue, greenId, reason));
    throw err;
  }
}

/** Smoke test and preview analysis of green; returns why green is refused, or undefined when it passed. */
async function verifyGreen(input: RolloutInput, rollout: RolloutState, routerUrl: string, blue: Instance, green: Instance): Promise<string | undefined> {
  rollout.status.phase = 'verifying';
  rollout.report();
  if (input.smoke) {
    await commands.runCommand({
      label: 'smoke (green)',
      command: input.smoke.command,
      cwd: input.smoke.cwd,
      env: { BASE_URL: green.url, GANTRY_VERSION: input.version },
      passEnv: input.smoke.passEnv,
    });
  }
  for (;;) {
    const started = Date.now();
    await delivery.sendPreviewTraffic({ url: routerUrl, requests: input.blueGreen.previewRequests });
    // Router stats come in whole seconds ending with the current one: a window one second
    // longer than the traffic took still holds all of it when the measurement lands in
    // the next second (with exactly the elapsed time, preview traffic that straddled a
    // second boundary was mostly missed).
    const windowMs = Math.ceil((Date.now() - started) / 1000) * 1000 + 1_000;
    const [greenMeasure, blueMeasure] = await Promise.all([
      measuring.measure({ service: input.service, environment: input.environment, version: green.artifact.version, role: 'canary', windowMs, metrics: input.metrics }),
      measuring.measure({ service: input.service, environment: input.environment, version: blue.artifact.version, role: 'stable', windowMs: input.blueGreen.interval, metrics: input.metrics }),
    ]);
    const result = analyse(greenMeasure, blueMeasure, input.blueGreen.analysis);
    rollout.status.analyses.push({ at: rollout.now(), weight: 0, verdict: result.verdict, summary: `preview: ${result.summary}` });
    if (result.verdict === 'pass') return undefined;
    if (result.verdict === 'fail') return `green failed its preview analysis: ${result.summary}`;
    rollout.paused = true;
    rollout.status.pausedBecause = `the preview analysis of green was inconclusive (${result.summary}); resume to analyse again, promote to switch anyway, or roll back`;
    await waitWhilePaused(rollout, 'verifying');
    if (rollout.rollbackRequest) return `rolled back by ${rollout.rollbackRequest.by}`;
    if (rollout.promoteRequest) return undefined;
  }
}

/** Blue stays up while green takes all traffic; returns why to switch back, or undefined when green held. */
async function keepBlue(input: RolloutInput, rollout: RolloutState, green: Instance): Promise<string | undefined> {
  const config = input.blueGreen;
  rollout.status.phase = 'keeping_blue';
  rollout.promoteRequest = undefined;
  const planned = blueGreenChecks(config);
  let done = 0;
  let waitLeftMs = waitBeforeCheckMs(config.keepBlueFor, config.interval, done);
  let failures = 0;
  rollout.status.soak = { planned, done };
  while (done < planned) {
    const dueAt = Date.now() + waitLeftMs;
    rollout.status.nextCheckAt = new Date(dueAt).toISOString();
    rollout.report();
    const started = Date.now();
    await condition(() => rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined, waitLeftMs);
    if (rollout.paused && !rollout.promoteRequest && !rollout.rollbackRequest) {
      // Blue stays up while paused: the time paused does not count towards keepBlueFor.
      waitLeftMs = Math.max(0, waitLeftMs - (Date.now() - started));
      await waitWhilePaused(rollout, 'keeping_blue');
      continue;
    }
    if (rollout.rollbackRequest) return `switched back by ${rollout.rollbackRequest.by}${rollout.rollbackRequest.reason ? `: ${rollout.rollbackRequest.reason}` : ''}`;
    if (rollout.promoteRequest) break; // retire blue now
    const extended = soakExtension(dueAt, Date.now(), config.interval);
    const greenMeasure = await measuring.measure({ service: input.service, environment: input.environment, version: green.artifact.version, role: 'canary', windowMs: config.interval, metrics: input.metrics });
    // Blue serves nothing now, so only green's own limits apply (no relative check).
    const result = analyse(greenMeasure, undefined, config.analysis);
    rollout.status.analyses.push({ at: rollout.now(), weight: 100, verdict: result.verdict, summary: result.summary });
    done += 1;
    rollout.status.soak = { planned, done, extended: extended ?? rollout.status.soak?.extended };
    waitLeftMs = waitBeforeCheckMs(config.keepBlueFor, config.interval, done);
    failures = result.verdict === 'fail' ? failures + 1 : 0;
    if (failures >= config.analysis.failureLimit) return `green failed after the switch: ${result.summary}`;
  }
  rollout.status.nextCheckAt = undefined;
  return undefined;
}

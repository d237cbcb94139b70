import { CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import { analyse } from '../policy/analysis';
import { legacyKeepBlueVerdict } from '../policy/legacy-keep-blue-verdict';
import { SINGLE_CHECK_RULES, emptyTally, judge } from '../policy/rollout-verdict';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutResult } from '../shared/rollout';
import { activitiesOn } from './host-activities';
import { rolloutHostWatch } from './host-watches';
import { onRolloutHost } from './rollout-host';
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
import { storedAtTheEnd } from './audit-outbox';
import { soakAndAnalyse } from './soak-and-analyse';

/**
 * Blue/green: green (the new version) starts beside blue at 0 % of public traffic and is
 * verified — health, smoke test, and an analysis of traffic sent to it through the
 * preview header. After an optional approval all traffic switches at once. Blue keeps
 * running for `keepBlueFor` while green is analysed, so a failure (or a person) switches
 * back instantly; then blue is retired. Green's checks after the switch are judged like a
 * canary's (`soakAndAnalyse`): `failureLimit` failures in a row or in total (`failureMode`)
 * switch back, `inconclusiveLimit` inconclusive ones in a row pause and ask a human.
 */
export async function blueGreenRolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const rollout = new RolloutState(input, 'blueGreen');
  // However it ends, the rollout's record reaches the audit store before the release hears of it.
  return storedAtTheEnd(rollout.decisions.outbox, () => runBlueGreen(input, rollout), (what) => rollout.waitForAuditStore(what));
}

async function runBlueGreen(input: RolloutInput, rollout: RolloutState): Promise<RolloutResult> {
  const config = input.blueGreen;
  const { stable: blue, routerUrl, newId: greenId } = await prepareRollout(input, rollout);
  try {
    const green = await startNewVersion(input, rollout);
    if (!blue) return await commitAndPromote(input, rollout, green, undefined, 'no blue version yet: the first release takes all traffic');
    const metricsDown = await awaitMetricsSource(input, rollout, config.interval);
    if (metricsDown) return await rolledBack(input, rollout, blue, green, metricsDown);
    await setSplit(input, rollout, blue, green, 0);

    const verdict = (await verifyGreen(input, rollout, routerUrl, blue, green)) ?? (await holdBeforeTrafficMoves(rollout, 'verifying'));
    if (verdict) return rolledBack(input, rollout, blue, green, verdict);

    if (config.approveSwitch) {
      rollout.record({ kind: 'phase', phase: 'waiting_for_switch' });
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
  rollout.record({ kind: 'phase', phase: 'verifying' });
  rollout.report();
  const { delivery, measuring } = onRolloutHost(input, rollout);
  // The smoke test runs in the release's checkout, on the host that holds it.
  const { commands } = activitiesOn(input.smoke?.placement, rolloutHostWatch(rollout));
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
    // The preview is a gate, not a soak: this one check decides.
    const { decision } = judge(emptyTally(), result, SINGLE_CHECK_RULES);
    rollout.record({
      kind: 'analysis',
      weight: 0,
      verdict: result.verdict,
      summary: `preview: ${result.summary}`,
      checks: result.checks,
      measurements: { candidate: greenMeasure, baseline: blueMeasure },
      decision,
    });
    if (decision === 'continue') return undefined;
    if (decision === 'rollback') return `green failed its preview analysis: ${result.summary}`;
    rollout.paused = true;
    await waitWhilePaused(rollout, 'verifying', `the preview analysis of green was inconclusive (${result.summary}); resume to analyse again, promote to switch anyway, or roll back`);
    if (rollout.rollbackRequest) return `rolled back by ${rollout.rollbackRequest.by}`;
    if (rollout.promoteRequest) return undefined;
  }
}

/**
 * Blue stays up while green takes all traffic, for `keepBlueFor`, while green is analysed
 * every interval (each check counts once: the window is time blue is kept); returns why
 * to switch back, or undefined when green held. A pause keeps blue up, and paused time
 * does not count towards the window.
 */
async function keepBlue(input: RolloutInput, rollout: RolloutState, green: Instance): Promise<string | undefined> {
  const config = input.blueGreen;
  const { service, environment, metrics } = input;
  rollout.promoteRequest = undefined;
  // Green's checks were once judged by a rule of their own (failures in a row, reset by an
  // inconclusive check, whatever failureMode said; never a pause). Rollouts that started
  // then keep it, or their replays would roll back or pause where they did not.
  const verdicts = patched('blue-green-verdicts-by-policy') ? undefined : legacyKeepBlueVerdict;
  const soak = await soakAndAnalyse(rollout, {
    // Blue serves nothing now, so only green's own limits apply (no relative check).
    subject: { service, environment, metrics, candidate: green.artifact.version },
    durationMs: config.keepBlueFor,
    intervalMs: config.interval,
    phase: 'keeping_blue',
    weight: 100,
    rules: config.analysis,
    counts: 'all',
    tally: emptyTally(),
    judge: verdicts,
    measuring: onRolloutHost(input, rollout).measuring,
  });
  switch (soak.ended) {
    case 'rollback_requested':
      return `switched back by ${soak.request.by}${soak.request.reason ? `: ${soak.request.reason}` : ''}`;
    case 'failed':
      return `green failed after the switch: ${soak.reason}`;
    case 'passed':
    case 'promoted': // retire blue now
      return undefined;
  }
}

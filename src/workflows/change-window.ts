import { ApplicationFailure, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { type ChangeDecision, type ChangePolicy, type ChangeRequest, decideChange } from '../policy/change-window';
import { effectiveChangePolicy } from '../policy/effective-change-policy';
import { FAILURE_TYPE } from '../policy/outcome';
import { calendarChangedSignal, declaredRules } from '../shared/change-calendar';
import type { ChangeException } from '../shared/rollout';
import { exceptionMayPass } from '../policy/change-exceptions';
import { NOTHING_IN_FORCE, readCalendarInForce, watchCalendarInForce } from './calendar-in-force';
import type { ReleaseState } from './release-state';

/**
 * Before a release enters an environment, the change policy and the change calendar say
 * whether it may now: when a deploy window, a holiday or a freeze (planned in the
 * catalogue, or declared during an incident) holds it, it waits durably until they let
 * it in (over a weekend or a three-week freeze, through worker restarts) and goes on by
 * itself; a policy that refuses blocked releases ends it `refused`. The wait is in the
 * status, the UI's details and the GantryHold search attribute.
 */

/** How long a held release trusts the calendar to tell it of a change before it looks again itself. */
const CALENDAR_RECHECK_MS = 6 * 3_600_000;

/** Set when the change calendar says it changed: a held workflow decides again. */
export class CalendarWatch {
  changed = false;

  constructor() {
    setHandler(calendarChangedSignal, () => {
      this.changed = true;
    });
  }
}

/** What else ends a wait at a change gate besides the gate opening. */
export interface GateExits {
  /** Stop waiting (e.g. the canary is being rolled back). */
  stop?: () => boolean;
  /** An exception that passes the gate now: an approved emergency, a process owner's override. */
  exception?: () => ChangeException | undefined;
  /** An emergency release still waiting for its approver: a policy that refuses blocked releases holds it for the approver instead. */
  emergencyPending?: () => boolean;
}

export type GateResult =
  | { kind: 'allowed'; waited: boolean }
  | { kind: 'refused'; reason: string }
  | { kind: 'stopped' }
  | { kind: 'excepted'; exception: ChangeException; passed: string[]; waited: boolean };

/**
 * Waits until `policy` and the calendar's declared freezes let `request` go on. Calls
 * `held` with each decision that holds it (for the caller's status) and returns once
 * allowed; returns the refusal instead when the policy refuses, `excepted` when an
 * exception passes the hold, or `stopped` when `exits.stop()` says stop.
 */
export async function waitForChangeWindow(
  policy: ChangePolicy | undefined,
  request: ChangeRequest,
  watch: CalendarWatch | undefined,
  held: (decision: Extract<ChangeDecision, { kind: 'wait' }>) => void,
  exits: GateExits = {},
): Promise<GateResult> {
  const stop = exits.stop ?? (() => false);
  const exception = exits.exception ?? (() => undefined);
  // Workflows recorded before quarantines existed read only the calendar's freezes.
  const withQuarantines = patched('quarantine');
  let calendar = watch ? await readCalendarInForce(withQuarantines) : NOTHING_IN_FORCE;
  let waited = false;
  for (;;) {
    let decision = decideChange(policy, request, Date.now(), declaredRules(calendar.freezes), calendar.quarantines);
    if (decision.kind === 'wait' && watch) {
      // Asked to be told of the next change, then read again: no change can slip between.
      watch.changed = false;
      const { workflowId, runId } = workflowInfo();
      calendar = await watchCalendarInForce(withQuarantines, { workflowId, runId });
      decision = decideChange(policy, request, Date.now(), declaredRules(calendar.freezes), calendar.quarantines);
    }
    if (decision.kind === 'allowed') return { kind: 'allowed', waited };
    const passable = exceptionMayPass(decision.hold);
    const passing = passable ? exception() : undefined;
    if (passing) return { kind: 'excepted', exception: passing, passed: decision.reasons, waited };
    if (decision.kind === 'refused') {
      if (!passable || !exits.emergencyPending?.()) return { kind: 'refused', reason: decision.reason };
      decision = { ...decision, kind: 'wait', until: 'an emergency approver approves it', untilMs: undefined };
    }
    waited = true;
    held(decision);
    const timeoutMs = Math.max(1, Math.min(decision.untilMs ?? Number.POSITIVE_INFINITY, Date.now() + (watch ? CALENDAR_RECHECK_MS : Number.POSITIVE_INFINITY)) - Date.now());
    await condition(() => stop() || (watch?.changed ?? false) || (passable && exception() !== undefined), timeoutMs);
    if (stop()) return { kind: 'stopped' };
    if (watch) calendar = await readCalendarInForce(withQuarantines);
  }
}

/** The release's gate before `environment` (see the top of this file). */
export async function awaitChangeWindow(release: ReleaseState, environment: string): Promise<void> {
  const { config } = release;
  const policy = effectiveChangePolicy(config.changePolicy, environment, config.environments[environment].changePolicy);
  // Releases recorded before the change calendar existed consulted only their policy.
  const watch = patched('change-calendar') ? (release.calendarWatch ??= new CalendarWatch()) : undefined;
  if (!policy && !watch) return;
  const { service, version, risk, emergency } = release.input;
  const request = { service, environment, risk: risk ?? 'medium', version };
  const emergencyPending = () => emergency !== undefined && release.emergencyException() === undefined;
  const result = await waitForChangeWindow(
    policy,
    request,
    watch,
    (decision) =>
      release.record({
        kind: 'change_held',
        environment,
        ...(decision.untilMs === undefined ? {} : { until: new Date(decision.untilMs).toISOString() }),
        untilLocal: decision.until,
        hold: decision.hold,
        reasons: emergencyPending() && exceptionMayPass(decision.hold)
          ? [...decision.reasons, `an emergency release (${emergency!.ticket}): it passes once an emergency approver approves it (gantry release approve-emergency ${service} ${version} --as <approver> --reason …)`]
          : decision.reasons,
      }),
    { exception: () => release.emergencyException() ?? release.pendingOverride, emergencyPending },
  );
  if (result.kind === 'refused') throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, nonRetryable: true, message: result.reason });
  if (result.kind === 'excepted') {
    const { exception, by, reason, ticket } = result.exception;
    // An override passes this one gate; an approved emergency passes every gate of the release.
    if (exception === 'override') release.pendingOverride = undefined;
    release.record({ kind: 'change_excepted', environment, exception, by, reason, ...(ticket ? { ticket } : {}), passed: result.passed });
    return;
  }
  if (result.kind === 'allowed' && result.waited) release.record({ kind: 'change_allowed', environment });
}

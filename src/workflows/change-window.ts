import { ApplicationFailure, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { type ChangeDecision, type ChangePolicy, type ChangeRequest, type DeclaredFreezeRule, decideChange } from '../policy/change-window';
import { effectiveChangePolicy } from '../policy/effective-change-policy';
import { FAILURE_TYPE } from '../policy/outcome';
import { type DeclaredFreeze, calendarChangedSignal } from '../shared/change-calendar';
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

export function declaredRules(freezes: DeclaredFreeze[]): DeclaredFreezeRule[] {
  return freezes.map(({ id, reason, by, services, environments, until }) => ({
    id,
    reason,
    by,
    ...(services ? { services } : {}),
    ...(environments ? { environments } : {}),
    ...(until ? { untilMs: Date.parse(until) } : {}),
  }));
}

/**
 * Waits until `policy` and the calendar's declared freezes let `request` go on. Calls
 * `held` with each decision that holds it (for the caller's status) and returns once
 * allowed; returns the refusal instead when the policy refuses, or `stop()` says stop.
 */
export async function waitForChangeWindow(
  policy: ChangePolicy | undefined,
  request: ChangeRequest,
  watch: CalendarWatch | undefined,
  held: (decision: Extract<ChangeDecision, { kind: 'wait' }>) => void,
  stop: () => boolean = () => false,
): Promise<{ kind: 'allowed'; waited: boolean } | { kind: 'refused'; reason: string } | { kind: 'stopped' }> {
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
    if (decision.kind === 'refused') return { kind: 'refused', reason: decision.reason };
    waited = true;
    held(decision);
    const timeoutMs = Math.max(1, Math.min(decision.untilMs ?? Number.POSITIVE_INFINITY, Date.now() + (watch ? CALENDAR_RECHECK_MS : Number.POSITIVE_INFINITY)) - Date.now());
    await condition(() => stop() || (watch?.changed ?? false), timeoutMs);
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
  const request = { service: release.input.service, environment, risk: release.input.risk ?? 'medium', version: release.input.version };
  const result = await waitForChangeWindow(policy, request, watch, (decision) =>
    release.record({
      kind: 'change_held',
      environment,
      ...(decision.untilMs === undefined ? {} : { until: new Date(decision.untilMs).toISOString() }),
      untilLocal: decision.until,
      hold: decision.hold,
      reasons: decision.reasons,
    }),
  );
  if (result.kind === 'refused') throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, nonRetryable: true, message: result.reason });
  if (result.kind === 'allowed' && result.waited) release.record({ kind: 'change_allowed', environment });
}

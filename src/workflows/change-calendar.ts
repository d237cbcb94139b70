import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { applyCalendarEvent, checkFreezeDeclaration, overlappingFreezes } from '../policy/declared-freezes';
import { checkQuarantineRequest, liftRefusal, quarantineRefusal } from '../policy/quarantine';
import {
  type CalendarInput,
  type CalendarView,
  type CalendarWatcher,
  type DeclaredFreeze,
  calendarChangedSignal,
  calendarQuery,
  declareFreezeUpdate,
  endFreezeUpdate,
  liftQuarantineUpdate,
  quarantineUpdate,
  watchCalendarSignal,
} from '../shared/change-calendar';
import { type CalendarEvent, decisionsQuery } from '../shared/decision-events';
import { DecisionRecord } from './decision-record';
import { awaitAuditStored } from './audit-outbox';
import { calendarRefusal, refusal } from './calendar-roles';

/** Recorded events the `decisions` query keeps (the audit sink has them all). */
const EVENTS_KEPT = 200;

/**
 * The change calendar: the freezes people declare now (`gantry freeze start`), in force
 * until someone ends them or their `--until` passes, and the versions people quarantine
 * (`gantry release quarantine`), held until someone lifts them. Releases consult it at every gate
 * and, while a freeze holds them, ask to be told when it changes; each change is sent to
 * them at once. It never ends by itself and continues as new as its history grows.
 */
export async function changeCalendarWorkflow(input: CalendarInput = {}): Promise<void> {
  // A calendar carried over from before quarantines existed has none.
  const view: CalendarView = { quarantined: [], lifted: [], ...(input.carried?.view ?? { active: [], ended: [] }) };
  let nextId = input.carried?.nextId ?? 1;
  let watchers: CalendarWatcher[] = [...(input.carried?.watchers ?? [])];
  let changed = false;
  const decisions = new DecisionRecord<CalendarEvent>(
    { apply: (event) => applyCalendarEvent(view, event), details: () => calendarDetails(view) },
    { lastSeq: input.carried?.lastSeq, keep: EVENTS_KEPT },
  );

  setHandler(
    declareFreezeUpdate,
    async (request) => {
      const services = request.services?.length ? [...request.services] : [];
      const refused = await calendarRefusal('freeze_start', request.by, { services, what: `declare a freeze of ${services.length ? services.join(', ') : 'every service'}` });
      if (refused) {
        decisions.record({ kind: 'freeze_refused', command: 'start', by: request.by, reason: request.reason, refusal: refused });
        throw refusal(refused);
      }
      const freeze: DeclaredFreeze = {
        id: `F${nextId++}`,
        reason: request.reason.trim(),
        by: request.by,
        ...(request.services?.length ? { services: [...request.services] } : {}),
        ...(request.environments?.length ? { environments: [...request.environments] } : {}),
        declaredAt: new Date().toISOString(),
        ...(request.until ? { until: new Date(Date.parse(request.until)).toISOString() } : {}),
      };
      const overlaps = overlappingFreezes(view.active, freeze);
      decisions.record({ kind: 'freeze_declared', freeze });
      changed = true;
      return { freeze, overlaps };
    },
    {
      validator: (request) => {
        const problems = checkFreezeDeclaration({ ...request, until: request?.until === undefined ? undefined : { text: request.until, ms: Date.parse(request.until) } }, Date.now());
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
    },
  );
  setHandler(
    endFreezeUpdate,
    async (request) => {
      const freeze = view.active.find((f) => f.id === request.id);
      const refused = freeze && (await calendarRefusal('freeze_end', request.by, { services: freeze.services ?? [], what: `end freeze ${freeze.id}`, declaredBy: freeze.by }));
      if (refused) {
        decisions.record({ kind: 'freeze_refused', command: 'end', id: request.id, by: request.by, ...(request.reason ? { reason: request.reason } : {}), refusal: refused });
        throw refusal(refused);
      }
      // Checked again: another request may have ended it while the roles were read.
      if (!view.active.some((f) => f.id === request.id)) throw refusal(freezeNotInForce(view, request.id));
      decisions.record({ kind: 'freeze_ended', id: request.id, by: request.by, ...(request.reason ? { reason: request.reason } : {}) });
      changed = true;
      return view.ended[view.ended.length - 1];
    },
    {
      validator: (request) => {
        if (!request?.by) throw new Error('--as is required: say who ends the freeze');
        if (!view.active.some((f) => f.id === request.id)) throw new Error(freezeNotInForce(view, request.id));
      },
    },
  );
  // Quarantines: a refused request is answered with the reason, and the audit hears of it.
  const refuse = (command: 'quarantine' | 'unquarantine', request: { service?: string; version?: string; by?: string; reason?: string } | undefined, refusal: string): never => {
    const { service = '', version = '', by = '', reason } = request ?? {};
    decisions.refusedUpdate({ kind: 'quarantine_refused', command, service, version, by, ...(reason ? { reason } : {}), refusal });
    throw new Error(refusal);
  };
  setHandler(
    quarantineUpdate,
    async (request) => {
      const refused =
        (await calendarRefusal('quarantine', request.by, { services: [request.service], what: `quarantine ${request.service} ${request.version}` })) ??
        quarantineRefusal(view, request); // checked again: another request may have come while the roles were read
      if (refused) {
        decisions.record({ kind: 'quarantine_refused', command: 'quarantine', service: request.service, version: request.version, by: request.by, reason: request.reason, refusal: refused });
        throw refusal(refused);
      }
      const quarantine = { service: request.service, version: request.version, reason: request.reason.trim(), by: request.by, at: new Date().toISOString() };
      decisions.record({ kind: 'version_quarantined', quarantine });
      changed = true;
      return quarantine;
    },
    {
      validator: (request) => {
        const problems = checkQuarantineRequest(request ?? {});
        if (problems.length > 0) refuse('quarantine', request, problems.join('; '));
        const refusal = quarantineRefusal(view, request);
        if (refusal) refuse('quarantine', request, refusal);
      },
    },
  );
  setHandler(
    liftQuarantineUpdate,
    async (request) => {
      const quarantined = view.quarantined?.find((q) => q.service === request.service && q.version === request.version);
      const what = `lift the quarantine of ${request.service} ${request.version}`;
      const refused = (await calendarRefusal('unquarantine', request.by, { services: [request.service], what, declaredBy: quarantined?.by })) ?? liftRefusal(view, request);
      if (refused) {
        decisions.record({ kind: 'quarantine_refused', command: 'unquarantine', service: request.service, version: request.version, by: request.by, ...(request.reason ? { reason: request.reason } : {}), refusal: refused });
        throw refusal(refused);
      }
      decisions.record({ kind: 'quarantine_lifted', service: request.service, version: request.version, by: request.by, ...(request.reason ? { reason: request.reason } : {}) });
      changed = true;
      return view.lifted![view.lifted!.length - 1];
    },
    {
      validator: (request) => {
        const problems = checkQuarantineRequest(request ?? {}, true);
        if (problems.length > 0) refuse('unquarantine', request, problems.join('; '));
        const refusal = liftRefusal(view, request);
        if (refusal) refuse('unquarantine', request, refusal);
      },
    },
  );
  setHandler(watchCalendarSignal, (watcher) => {
    if (!watchers.some((w) => w.workflowId === watcher.workflowId && w.runId === watcher.runId)) watchers.push(watcher);
  });
  setHandler(calendarQuery, () => view);
  setHandler(decisionsQuery, () => decisions.events());

  for (;;) {
    const untils = view.active.flatMap((f) => (f.until ? [Date.parse(f.until)] : []));
    const nextExpiry = untils.length ? Math.min(...untils) : undefined;
    if (nextExpiry === undefined || nextExpiry > Date.now()) {
      const wait = () => changed || workflowInfo().continueAsNewSuggested;
      if (nextExpiry === undefined) await condition(wait);
      else await condition(wait, nextExpiry - Date.now());
    }
    for (const freeze of view.active.filter((f) => f.until && Date.parse(f.until) <= Date.now())) {
      decisions.record({ kind: 'freeze_ended', id: freeze.id, by: 'the calendar', reason: 'its --until passed' });
      changed = true;
    }
    if (changed) {
      changed = false;
      // Each watcher is told once; a release still held asks again.
      const told = watchers;
      watchers = [];
      for (const watcher of told) {
        await getExternalWorkflowHandle(watcher.workflowId, watcher.runId)
          .signal(calendarChangedSignal)
          .catch((err) => log.info('a watcher of the change calendar has ended', { watcher: watcher.workflowId, error: String(err) }));
      }
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await awaitAuditStored(decisions.outbox); // the new run starts with an empty outbox
      await continueAsNew<typeof changeCalendarWorkflow>({ carried: { view, nextId, lastSeq: decisions.lastSeq, watchers } });
    }
  }
}

function freezeNotInForce(view: CalendarView, id: string | undefined): string {
  const ended = view.ended.find((f) => f.id === id);
  if (ended) return `freeze ${id} already ended at ${ended.ended?.at} (by ${ended.ended?.by})`;
  return `no freeze ${id} is in force${view.active.length ? `; in force: ${view.active.map((f) => f.id).join(', ')}` : ''}`;
}

function calendarDetails(view: CalendarView): string {
  const quarantined = view.quarantined ?? [];
  if (view.active.length === 0 && quarantined.length === 0) return '**Change calendar**: no freeze in force, no version in quarantine';
  return [
    '**Change calendar**',
    '',
    ...view.active.map((f) => `Freeze ${f.id} by ${f.by}: ${f.reason}${f.until ? ` (until ${f.until})` : ''}`),
    ...quarantined.map((q) => `Quarantined ${q.service} ${q.version} by ${q.by}: ${q.reason}`),
  ].join('\n');
}

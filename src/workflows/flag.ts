import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { describeFlagChange } from '../policy/flag-changes';
import { killedDefinition } from '../policy/flag-kill';
import { applyFlagEvent, emptyFlagView, flagDetails } from '../policy/flag-projection';
import type { FlagDefinition } from '../policy/flags/flag-document';
import { type FlagEvent, decisionsQuery } from '../shared/decision-events';
import type { FlagChangeAnswer, FlagInput, KillFlagRequest, SetFlagRequest } from '../shared/flags';
import { flagQuery, killFlagSignal, killFlagUpdate, setFlagSignal, setFlagUpdate } from '../shared/messages';
import { flagging } from './activity-stubs';
import { awaitAuditStored } from './audit-outbox';
import { DecisionRecord } from './decision-record';
import { causeOf, flagRefused, flagRefusal } from './flag-roles';

/** Recorded events the `decisions` query keeps (a flag lives for years; the audit store has them all). */
const EVENTS_KEPT = 200;

type Via = 'update' | 'signal';

/**
 * One feature flag, for as long as it exists: its flagd definition as the flag store
 * serves it, and every change to it (who, why, old → new) and every refusal, in its
 * decision record. Started by the first `set` or `kill` (update-with-start); on first use
 * it adopts what the store already serves for the flag. Changes run one at a time, in
 * the order they arrived: each is checked (role, then definition), written to the store
 * by an activity, then recorded, and only then answered, so the store, the sync stream
 * and the record never disagree about the order. An entity that finds no flag and is
 * given none ends at once; a flag's entity otherwise never ends, and continues as new as
 * its history grows.
 */
export async function flagWorkflow(input: FlagInput): Promise<void> {
  const { key } = input;
  const view = input.carried?.view ?? emptyFlagView(key);
  let loaded = input.carried !== undefined;
  const decisions = new DecisionRecord<FlagEvent>({ apply: (event) => applyFlagEvent(view, event), details: () => flagDetails(view) }, { lastSeq: input.carried?.lastSeq, keep: EVENTS_KEPT });
  const oneAtATime = serialiser();

  /** Refuses with a record (the change was asked for, and is part of the flag's history). */
  const refuse = (command: 'set' | 'kill', request: { by?: string; reason?: string }, via: Via, why: string): never => {
    decisions.record({ kind: 'flag_refused', key, command, by: request.by ?? '', ...(request.reason ? { reason: request.reason } : {}), via, refusal: why });
    throw flagRefused(why);
  };

  const set = (request: SetFlagRequest, via: Via): Promise<FlagChangeAnswer> =>
    oneAtATime(async () => {
      await condition(() => loaded);
      const problem = setRequestProblem(request);
      if (problem) refuse('set', request, via, problem);
      const refused = await flagRefusal('set', request.by, key);
      if (refused) refuse('set', request, via, refused);
      const problems = await flagging.checkFlagDefinition({ key, definition: request.definition }).catch((err: unknown) => {
        throw flagRefused(`the definition could not be checked, so nothing changed: ${causeOf(err).message}`);
      });
      if (problems.length > 0) refuse('set', request, via, `not valid flagd JSON:\n${problems.map((p) => `${p.field}: ${p.message}`).join('\n')}`);
      const { revision, before: stored } = await write(request.definition);
      // What applications were served before: the store's word (a hand edit counts), else the entity's.
      const before = stored ?? view.definition;
      const summary = describeFlagChange(before, request.definition);
      decisions.record({ kind: 'flag_set', key, by: request.by, ...(request.reason ? { reason: request.reason } : {}), ...(before ? { before } : {}), after: request.definition, summary, revision });
      return { key, kind: 'set', definition: request.definition, revision, summary };
    });

  const kill = (request: KillFlagRequest, via: Via): Promise<FlagChangeAnswer> =>
    oneAtATime(async () => {
      await condition(() => loaded);
      const current = view.definition;
      // An unknown flag is bad input, not a decision about a flag: refused without a record.
      if (!current) throw flagRefused(unknownFlag(key));
      const problem = killRequestProblem(request);
      if (problem) refuse('kill', request, via, problem);
      const refused = await flagRefusal('kill', request.by, key);
      if (refused) refuse('kill', request, via, refused);
      const killed = killedDefinition(current);
      const { revision } = await write(killed.definition);
      const summary = describeFlagChange(current, killed.definition);
      decisions.record({
        kind: 'flag_killed',
        key,
        by: request.by,
        reason: request.reason.trim(),
        before: current,
        after: killed.definition,
        method: killed.method,
        ...(killed.offVariant ? { offVariant: killed.offVariant } : {}),
        summary,
        revision,
      });
      return { key, kind: 'killed', definition: killed.definition, revision, summary, method: killed.method, ...(killed.offVariant ? { offVariant: killed.offVariant } : {}) };
    });

  /** The store write; a failure is told to the caller (nothing was recorded, the flag is as it was). */
  const write = (definition: FlagDefinition) =>
    flagging.writeFlag({ key, definition }).catch((err: unknown) => {
      throw ApplicationFailure.create({ type: 'FlagStoreFailed', nonRetryable: true, message: `the flag store was not written, so nothing changed: ${causeOf(err).message}` });
    });

  setHandler(setFlagUpdate, (request) => set(request, 'update'), {
    validator: (request) => {
      const problem = setRequestProblem(request);
      if (problem) throw new Error(problem);
    },
  });
  setHandler(killFlagUpdate, (request) => kill(request, 'update'), {
    validator: (request) => {
      if (loaded && !view.definition) throw new Error(unknownFlag(key));
      const problem = killRequestProblem(request);
      if (problem) throw new Error(problem);
    },
  });
  // The same messages as signals (`temporal workflow signal`): nobody waits for an answer, the record has it.
  const unanswered = (what: string) => (err: unknown) => log.info(`a ${what} signal was refused`, { flag: key, error: causeOf(err).message });
  setHandler(setFlagSignal, (request) => void set(request, 'signal').catch(unanswered('set')));
  setHandler(killFlagSignal, (request) => void kill(request, 'signal').catch(unanswered('kill')));
  setHandler(flagQuery, () => view);
  setHandler(decisionsQuery, () => decisions.events());
  decisions.publish();

  if (!loaded) {
    try {
      const stored = await flagging.readStoredFlag({ key });
      if (stored.definition) decisions.record({ kind: 'flag_adopted', key, definition: stored.definition, revision: stored.revision });
    } catch (err) {
      log.warn('the flag store could not be read on first use; the flag starts without a definition', { flag: key, error: causeOf(err).message });
    }
    loaded = true;
  }

  const nothingToKeep = () => view.definition === undefined && allHandlersFinished();
  for (;;) {
    await condition(() => nothingToKeep() || workflowInfo().continueAsNewSuggested);
    if (nothingToKeep()) {
      // Asked about a flag that neither the store nor anyone defined: no entity to keep.
      await awaitAuditStored(decisions.outbox);
      return;
    }
    await condition(allHandlersFinished);
    await awaitAuditStored(decisions.outbox); // the new run starts with an empty outbox
    await continueAsNew<typeof flagWorkflow>({ key, carried: { view, lastSeq: decisions.lastSeq } });
  }
}

function setRequestProblem(request: SetFlagRequest | undefined): string | undefined {
  if (!request?.by?.trim()) return 'say who sets the flag (by / --as)';
  const definition: unknown = request.definition;
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    return 'definition: must be one flag\'s flagd definition, e.g. { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" }';
  }
  return undefined;
}

function killRequestProblem(request: KillFlagRequest | undefined): string | undefined {
  if (!request?.by?.trim()) return 'say who kills the flag (by / --as)';
  if (!request.reason?.trim()) return 'reason: say why the flag is killed (--reason); it is recorded';
  return undefined;
}

function unknownFlag(key: string): string {
  return `unknown flag ${key}: the flag store has no flag ${key} and nobody set one; create it with gantry flags set ${key} --file <definition.json>`;
}

/** Runs the given functions one after another, in the order they were handed in, whatever each one's outcome. */
function serialiser(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
}

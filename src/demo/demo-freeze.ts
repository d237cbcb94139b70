import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { declareFreeze, endFreeze, readCalendar } from '../client/change-calendar-client';
import type { ReleaseHandle } from '../client/release-client';
import { describeFreeze } from '../cli/render-freeze';
import { renderStatus } from '../cli/render-status';
import type { HoldKind } from '../policy/change-window';
import type { DeclaredFreeze } from '../shared/change-calendar';
import { decisionsQuery } from '../shared/decision-events';
import type { ReleaseStatus } from '../shared/release';
import { GantryHold } from '../shared/search-attributes';

/**
 * The demo's change freeze: declared in the change calendar (as `gantry freeze start`
 * would) before a release reaches production; while it holds the release, the demo shows
 * the hold where a person would look (`gantry release status`, `gantry freeze list`, the
 * GantryHold search attribute, the UI's current details), leaves it a few seconds, then
 * ends it (as `gantry freeze end` would) and the release goes on by itself.
 */

/** Who declares the demo's freeze and why; also how a freeze an interrupted demo left in force is recognised. */
const FREEZER = 'carol';
const REASON = 'demo: change freeze';
/** A safety net: a freeze left by a demo stopped midway lifts by itself. The demo ends it much sooner. */
const LIFTS_BY_ITSELF_AFTER_MS = 10 * 60_000;
const FREEZE: HoldKind = 'freeze';
/** The releases a freeze holds now, as `temporal workflow list` and the UI find them. */
export const HELD_BY_A_FREEZE_QUERY = `${GantryHold.name}="${FREEZE}" AND ExecutionStatus="Running"`;
/** Visibility follows a workflow's search attributes by a moment; this long at most. */
const VISIBILITY_WAIT_MS = 10_000;
/** Ending the freeze while the demo stops needs the worker, which may be stopping too: this long at most. */
const LIFT_ON_STOP_MS = 5_000;
/** What the release's record says when the demo went as planned. */
export const HELD_THEN_LET_GO = 'held before production, then let go';

export interface DemoFreezeOptions {
  client: Client;
  taskQueue: string;
  service: string;
  environment: string;
  /** How long the demo leaves the release held so a person can look. */
  holdMs: number;
  /** The Temporal UI's base URL and namespace, when there is a UI. */
  ui?: { url: string; namespace: string };
  say: (text: string) => void;
}

export class DemoFreeze {
  /** The showing and lifting, once the freeze held the release; it never rejects (a failure is kept in `failure`). */
  private scene?: Promise<void>;
  private failure?: Error;
  private ended = false;
  /** Cuts the hold short: the demo stops, or someone ended the freeze first and the release went on. */
  private readonly cutShort = new AbortController();
  private stopping = false;

  private constructor(
    private readonly options: DemoFreezeOptions,
    readonly freeze: DeclaredFreeze,
  ) {}

  /** Declares the freeze, after ending any an interrupted demo left in force (it would hold this run's release). */
  static async declare(options: DemoFreezeOptions): Promise<DemoFreeze> {
    const { client, taskQueue, service, environment, say } = options;
    for (const left of (await readCalendar(client, taskQueue)).active.filter((f) => f.by === FREEZER && f.reason === REASON)) {
      await endFreeze(client, taskQueue, { id: left.id, by: FREEZER, reason: 'left in force by an interrupted demo' });
      say(`(Ended ${left.id}, left in force by an interrupted demo.)`);
    }
    const until = new Date(Date.now() + LIFTS_BY_ITSELF_AFTER_MS).toISOString();
    const answer = await declareFreeze(client, taskQueue, { by: FREEZER, reason: REASON, services: [service], environments: [environment], until });
    say(
      [
        `Declared ${describeFreeze(answer.freeze)}`,
        ...answer.overlaps.map((other) => `  overlaps ${describeFreeze(other)}`),
        `  (as: gantry freeze start --as ${FREEZER} --reason "${REASON}" --services ${service} --environments ${environment} --until ${until})`,
      ].join('\n'),
    );
    return new DemoFreeze(options, answer.freeze);
  }

  /**
   * For `followRelease`'s `onStatus`: the first time the release is held before the
   * freeze's environment, shows the hold, waits `holdMs`, and ends the freeze. When
   * someone ends it first (the demo prints how), the release goes on and so does the demo.
   */
  watch(handle: ReleaseHandle, link: string): (status: ReleaseStatus) => void {
    return (status) => {
      if (this.scene) {
        if (!status.hold || status.outcome) this.cutShort.abort();
        return;
      }
      if (status.outcome || status.hold?.environment !== this.options.environment) return;
      this.scene = this.showThenLift(handle, link, status).catch((err: Error) => {
        this.failure = err;
      });
    };
  }

  /**
   * Once the release has ended: what its own record says of the hold (HELD_THEN_LET_GO
   * when the demo went as planned), printed with the recorded events.
   */
  async report(handle: ReleaseHandle): Promise<string> {
    await this.scene;
    if (this.failure) return `the demo could not show or end the freeze: ${this.failure.message}`;
    const { environment, say } = this.options;
    const events = await handle.query(decisionsQuery);
    const held = events.find((e) => e.kind === 'change_held' && e.environment === environment && e.hold === FREEZE);
    const allowed = held && events.find((e) => e.kind === 'change_allowed' && e.environment === environment && e.seq > held.seq);
    if (held) say(`  its record: change_held before ${environment} (${FREEZE}) at ${held.at}${allowed ? `, change_allowed at ${allowed.at}` : ''}`);
    if (!held) return `never held by freeze ${this.freeze.id}`;
    return allowed ? HELD_THEN_LET_GO : 'held, never let go';
  }

  /**
   * When the demo stops: ends the freeze if the demo has not yet, so it holds nothing
   * after the demo. Best effort, bounded: when the worker or the server is already gone,
   * the freeze lifts by itself at its `until`, or the next demo ends it.
   */
  async liftIfInForce(): Promise<void> {
    this.stopping = true;
    this.cutShort.abort();
    if (this.ended) return;
    const { client, taskQueue } = this.options;
    await client.withDeadline(Date.now() + LIFT_ON_STOP_MS, () => endFreeze(client, taskQueue, { id: this.freeze.id, by: FREEZER, reason: 'the demo stopped' })).then(
      () => {
        this.ended = true;
      },
      () => undefined,
    );
  }

  private async showThenLift(handle: ReleaseHandle, link: string, status: ReleaseStatus): Promise<void> {
    const { client, taskQueue, environment, holdMs, ui, say } = this.options;
    const { id } = this.freeze;
    const [calendar, held, details] = await Promise.all([readCalendar(client, taskQueue), this.listedAsHeld(handle.workflowId), uiDetails(handle)]);
    // The lines of the UI's details that name the freeze (what holds the release, and until when).
    const detailsOnFreeze = details.split('\n').filter((line) => line.includes(`freeze ${id} `));
    const uiList = ui ? `${ui.url}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(HELD_BY_A_FREEZE_QUERY)}` : undefined;
    say(
      [
        '',
        `${status.service} ${status.version} is held before ${environment} by freeze ${id}. What \`gantry release status ${status.service} ${status.version}\` prints:`,
        renderStatus(status),
        'The freezes in force (gantry freeze list):',
        ...calendar.active.map((f) => `  ${describeFreeze(f)}`),
        `Releases a freeze holds (temporal workflow list --query '${HELD_BY_A_FREEZE_QUERY}'): ${held.join(', ') || 'none listed yet'}`,
        `In the Temporal UI, the release's current details say what holds it (${link}):`,
        ...(detailsOnFreeze.length ? detailsOnFreeze.map((line) => `  ${line}`) : ['  (nothing about the freeze yet)']),
        ...(uiList ? [`  and every release a freeze holds: ${uiList}`] : []),
        `The demo ends ${id} in ${holdMs / 1000} s (as: gantry freeze end ${id} --as ${FREEZER} --reason "the demo has shown the hold").`,
      ].join('\n'),
    );
    await delay(holdMs, undefined, { signal: this.cutShort.signal }).catch(() => undefined);
    if (this.stopping) return;
    const ended = await endFreeze(client, taskQueue, { id, by: FREEZER, reason: 'the demo has shown the hold' }).catch(async (err: Error) => {
      // Someone ended it first (the demo printed how): the release goes on all the same.
      const before = (await readCalendar(client, taskQueue)).ended.find((f) => f.id === id);
      if (!before) throw err;
      return before;
    });
    this.ended = true;
    // On a new line: on a terminal the release's progress line may be waiting unfinished.
    say(`\nEnded ${describeFreeze(ended)}; ${status.service} ${status.version} goes on.`);
  }

  /** The running releases a freeze holds, as visibility lists them, once it lists `workflowId` (or after VISIBILITY_WAIT_MS). */
  private async listedAsHeld(workflowId: string): Promise<string[]> {
    const deadline = Date.now() + VISIBILITY_WAIT_MS;
    for (;;) {
      const ids: string[] = [];
      for await (const execution of this.options.client.workflow.list({ query: HELD_BY_A_FREEZE_QUERY })) ids.push(execution.workflowId);
      if (ids.includes(workflowId) || Date.now() >= deadline) return ids;
      await delay(250);
    }
  }
}

/** The markdown the Temporal UI shows as the workflow's current details. */
async function uiDetails(handle: ReleaseHandle): Promise<string> {
  return (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
}

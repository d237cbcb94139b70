import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import YAML from 'yaml';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { eventually, startE2EStack, type CommandResult, type E2EStack } from '../support/e2e-stack';
import { startProber, type Prober } from '../support/prober';
import { releaseAndWait, versionsServing } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Races an on-call engineer can cause, repeated with the decisive message sent a little
 * later each round so it lands before, during and after the promotion's commit point:
 * abort vs `promote --full`, rollback vs `promote --full`, pause vs promote. The service
 * drains for 1.5 s after SIGTERM, as real services do, and a prober sends requests
 * through the router the whole time: no request may find production dark. Each round
 * must end in one outcome that agrees with the answers people got and with what serves.
 */
const SERVICE = 'racy';
/** At least 20 rounds a race; RACE_ROUNDS lowers it for a quick local run. */
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 20);

let stack: E2EStack;
let prober: Prober;
let routerUrl: string;
let stable = '1.0.0';

beforeAll(async () => {
  stack = await startE2EStack('races', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      const service = doc.services.web;
      delete doc.services.web;
      // Quick to build and test, so rounds spend their time racing rather than building.
      service.test = { unit: 'true', lint: 'true' };
      delete service.smoke;
      service.run.command = 'DRAIN_MS=1500 node dist/server.js';
      service.approval = { approvers: [], minApprovals: 0 };
      service.environments.production = {
        strategy: 'canary',
        canary: {
          steps: [{ weight: 20, soak: '60s' }, { weight: 50, soak: '60s' }, { weight: 100 }],
          interval: '2s',
          analysis: { minRequests: 1, failureLimit: 3, maxErrorRate: 0.05, latencyToleranceMs: 500, inconclusiveLimit: 30 },
        },
      };
      doc.services[SERVICE] = service;
      return YAML.stringify(doc);
    },
  });
  const first = await releaseAndWait(stack, SERVICE, stable);
  expect(first.doc.outcome).toBe('succeeded');
  routerUrl = first.doc.status.rollout.routerUrl;
  prober = startProber(routerUrl, { pauseMs: 5 });
});
afterAll(async () => {
  await prober?.stop();
  await stack?.stop();
  await stopAllRouters(path.join(stack.home, 'routers'));
});

afterEach(() => {
  // Checked after every test, so a dark moment is reported with the race that caused it.
  expect(prober.dark).toEqual([]);
});

const steer = (verb: string, version: string, ...extra: string[]) => stack.gantry(['release', verb, SERVICE, version, '--as', 'oncall', ...extra]);
/** Each round's story in the CI log: which side won, and what every command answered. */
const progress = (line: string) => process.stdout.write(`races: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = (version: string) => stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, version)).query(statusQuery);

/** Starts a release (followed to its end in the background) and waits until its canary soaks at its first step. */
async function canarySoaking(version: string): Promise<{ ended: Promise<CommandResult & { doc: { outcome: string; status: ReleaseStatus } }> }> {
  const ended = stack.gantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', stack.commit, '--author', 'alice', '--wait', '--json']).then((r) => ({
    ...r,
    doc: JSON.parse(r.stdout),
  }));
  await eventually(`${version} to soak at 20 %`, async () => {
    const s = await status(version).catch(() => undefined);
    return s?.rollout?.phase === 'progressing' && s.rollout.weights.canary === 20 ? true : undefined;
  });
  // Wrapped: an async function returning the promise itself would wait for the release to end.
  return { ended };
}

/** What the runtime records as serving production: the instance ID starts with the version. */
function activeVersionRecorded(): string {
  const pointer = JSON.parse(readFileSync(path.join(stack.home, 'runtime', SERVICE, 'production', 'active.json'), 'utf8')) as { instanceId: string };
  return pointer.instanceId.replace(/-[0-9a-f]{12}$/, '');
}

async function assertServing(version: string): Promise<void> {
  expect(await versionsServing(routerUrl, 30)).toEqual({ [version]: 30 });
  expect(activeVersionRecorded()).toBe(version);
}

describe.each([
  ['abort', 'aborted'],
  ['rollback', 'rolled_back'],
] as const)('%s vs promote --full', (verb, undoneOutcome) => {
  test(`${ROUNDS} rounds: the promotion or the ${verb} wins, never both, and production always serves`, async () => {
    const tally: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const version = `2.${verb === 'abort' ? 1 : 2}.${round}`;
      const roundStarted = Date.now();
      const { ended } = await canarySoaking(version);
      progress(`round ${round}: ${version} soaking after ${Date.now() - roundStarted} ms\n`);
      // The undo goes from 400 ms before the promote to 1.4 s after it, a step of 200 ms
      // a round: before, during and after the commit (the old version drains 1.5 s).
      const offsetMs = (round % 10) * 200 - 400;
      const undoLater = async () => {
        await sleep(Math.max(0, offsetMs));
        return steer(verb, version, '--reason', `race ${round}`);
      };
      const promoteLater = async () => {
        await sleep(Math.max(0, -offsetMs));
        return steer('promote', version, '--reason', 'ship it', '--full');
      };
      const [undo, promoted] = await Promise.all([undoLater(), promoteLater()]);
      const end = await ended;
      const outcome = end.doc.outcome;
      tally[outcome] = (tally[outcome] ?? 0) + 1;
      const context = `round ${round} (${verb} ${offsetMs} ms after the promote): ${verb} answered ${undo.code} (${(undo.stdout + undo.stderr).trim()}), promote answered ${promoted.code}, outcome ${outcome}`;

      if (outcome === 'succeeded') {
        expect({ context, undo: undo.code, promote: promoted.code }).toEqual({ context, undo: 2, promote: 0 });
        expect(undo.stderr).toMatch(/was committed at|the rollout is already promoted|already ended: succeeded/);
        expect(end.doc.status.abort).toBeUndefined();
        stable = version;
      } else {
        expect({ context, outcome, undo: undo.code }).toEqual({ context, outcome: undoneOutcome, undo: 0 });
        expect(end.doc.status.rollout?.committedAt).toBeUndefined();
      }
      await assertServing(stable);
      progress(`${context}\n`);
    }
    // Both sides of the commit point were reached: the test raced, it did not just run.
    progress(`${verb} vs promote --full over ${ROUNDS} rounds: ${JSON.stringify(tally)}\n`);
    expect(Object.keys(tally).sort()).toEqual([undoneOutcome, 'succeeded'].sort());
  }, ROUNDS * 60_000);
});

test(`pause vs promote, ${ROUNDS} rounds: the later decision wins, and a pause that wins holds the traffic where it is`, async () => {
  const held: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const version = `2.3.${round}`;
    const { ended } = await canarySoaking(version);
    const promote = steer('promote', version, '--reason', 'soak looks fine');
    await sleep((round % 10) * 100);
    const pause = await steer('pause', version, '--reason', `race ${round}`);
    expect((await promote).code).toBe(0);

    const rollout = (await status(version)).rollout!;
    const accepted = rollout.decisions.filter((d) => d.result === 'accepted' && (d.kind === 'pause' || d.kind === 'promote'));
    const last = accepted[accepted.length - 1]?.kind;
    if (pause.code === 0 && last === 'pause') {
      // The pause came last: the rollout holds before the next traffic move, and stays there.
      const holding = await eventually(`${version} to hold`, async () => {
        const s = (await status(version)).rollout;
        return s?.phase === 'paused' ? s : undefined;
      });
      await sleep(1_000);
      expect((await status(version)).rollout).toMatchObject({ phase: 'paused', weights: holding.weights });
      expect(holding.weights.canary).toBeLessThan(100);
    } else {
      expect(pause.code === 2 || last === 'promote').toBe(true);
    }
    held[last ?? 'none'] = (held[last ?? 'none'] ?? 0) + 1;

    // Finish the round: a promote --full overrules any pause.
    const finish = await steer('promote', version, '--reason', 'finish the round', '--full');
    expect(finish.code === 0 || /already ended|committed/.test(finish.stderr)).toBe(true);
    const end = await ended;
    expect(end.doc.outcome).toBe('succeeded');
    stable = version;
    await assertServing(stable);
  }
  progress(`pause vs promote over ${ROUNDS} rounds, last accepted decision: ${JSON.stringify(held)}\n`);
  expect(held.pause ?? 0).toBeGreaterThan(0);
}, ROUNDS * 60_000);

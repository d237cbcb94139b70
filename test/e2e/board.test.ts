import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import type { BoardView } from '../../src/board/board-view';
import { artifactsDir } from '../support/artifacts';
import { launchChromium } from '../support/browser';
import { eventually, exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startLoad, type Load } from '../support/load';
import { releaseAndWait } from '../support/traffic';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The release board end to end: the real `gantry board` against the shared dev server,
 * a real canary release under real traffic, and headless Chromium watching the page
 * while the canary's weight moves.
 */
let stack: E2EStack;
let board: ChildProcess | undefined;
let boardUrl: string;
let load: Load | undefined;
let browser: Browser | undefined;
const UI_URL = 'http://127.0.0.1:8233';

beforeAll(async () => {
  stack = await startE2EStack('board', {
    editConfig: exampleServiceAs('tally', {
      strategy: 'canary',
      canary: {
        steps: [
          { weight: 20, soak: '4s' },
          { weight: 50, soak: '4s' },
          { weight: 100 },
        ],
        interval: '2s',
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05, latencyToleranceMs: 100, inconclusiveLimit: 5 },
      },
    }),
  });
  const { child } = stack.spawnGantry(['board', '--listen', '127.0.0.1:0', '--interval', '300ms', '--ui-url', UI_URL]);
  board = child;
  boardUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`gantry board exited ${code}: ${out}`)));
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  board?.kill('SIGTERM');
  await load?.stop();
  await stack?.stop();
  await stopAllRouters(path.join(stack.home, 'routers'));
});

const boardJson = async (): Promise<BoardView> => (await fetch(`${boardUrl}board.json`)).json() as Promise<BoardView>;
const WEIGHT = (workflowId: string) => `document.querySelector('tr[data-release="${workflowId}"] [data-canary-weight]')?.getAttribute('data-canary-weight') ?? null`;

test("the board shows a canary's weight moving 20 → 50 % live, a freeze declared meanwhile, and what then runs where", async () => {
  const first = await releaseAndWait(stack, 'tally', '1.0.0');
  expect(first.doc.outcome).toBe('succeeded');
  load = startLoad(first.doc.status.rollout.routerUrl, { concurrency: 4, pauseMs: 20, userKeys: true });

  // The page's CSP forbids eval, which string predicates use: the test's own scripts bypass it (the page's inline script runs under it either way).
  const page = await browser!.newPage({ viewport: { width: 1200, height: 760 }, bypassCSP: true });
  await page.goto(boardUrl);
  await page.waitForFunction(`document.querySelector('tr[data-service="tally"] td[data-environment="production"]')?.getAttribute('data-version') === '1.0.0'`);
  expect(await page.textContent('#connection')).toBe('live');

  const release = stack.gantry(['release', 'start', '--service', 'tally', '--version', '1.1.0', '--commit', stack.commit, '--author', 'alice', '--wait', '--json']);
  const workflowId = 'release/tally/1.1.0';
  // What the page shows, sampled as a person would see it: each weight it drew, in order.
  const seen: string[] = [];
  let freezeId: string | undefined;
  let shot: string | undefined;
  await eventually(
    'the canary to reach 50 % on the board',
    async () => {
      const weight = (await page.evaluate(WEIGHT(workflowId))) as string | null;
      if (weight !== null && seen[seen.length - 1] !== weight) seen.push(weight);
      if (weight === '20' && !freezeId) {
        // A freeze declared during the canary, on staging (which 1.1.0 has passed), appears on the board.
        const declared = await stack.gantry(['freeze', 'start', '--as', 'carol', '--reason', 'board test', '--services', 'tally', '--environments', 'staging', '--json']);
        expect(declared.code).toBe(0);
        freezeId = JSON.parse(declared.stdout).freeze.id;
      }
      if (weight === '50' && freezeId) {
        await page.waitForSelector(`li[data-freeze="${freezeId}"]`);
        shot = path.join(artifactsDir(), 'release-board.png');
        await page.screenshot({ path: shot, fullPage: true });
        return true;
      }
      return undefined;
    },
    90_000,
  );
  process.stdout.write(`release board screenshot: ${shot}\n`);
  expect(seen.slice(seen.indexOf('20'))).toEqual(['20', '50']);

  // The page and /board.json say the same: the traffic label, the link into the Temporal UI, the freeze and the window it closes.
  const view = await boardJson();
  const flying = view.inFlight.find((r) => r.workflowId === workflowId)!;
  expect(flying.rollout).toMatchObject({ strategy: 'canary', steps: [20, 50, 100] });
  expect(await page.getAttribute(`tr[data-release="${workflowId}"] td a`, 'href')).toBe(flying.link);
  expect(flying.link).toMatch(new RegExp(`^${UI_URL}/namespaces/default/workflows/release%2Ftally%2F1\\.1\\.0/[0-9a-f-]+/history$`));
  expect(view.freezes.map((f) => [f.id, f.scope])).toContainEqual([freezeId, 'tally in staging']);
  const staging = view.services.find((s) => s.name === 'tally')!.cells.find((c) => c.environment === 'staging')!;
  expect(staging.window).toMatchObject({ state: 'held' });
  expect(await page.getAttribute('tr[data-service="tally"] td[data-environment="staging"] [data-window]', 'data-window')).toBe('held');

  const done = await release;
  expect(JSON.parse(done.stdout).outcome).toBe('succeeded');
  expect((await stack.gantry(['freeze', 'end', freezeId!, '--as', 'carol'])).code).toBe(0);
  // Once it ends, the board moves it out of flight and shows what runs where.
  await page.waitForFunction(`!document.querySelector('tr[data-release="${workflowId}"]') && document.querySelector('tr[data-service="tally"] td[data-environment="production"]')?.getAttribute('data-version') === '1.1.0'`, undefined, { timeout: 30_000 });
  await page.waitForFunction(`document.querySelectorAll('#freezes li').length === 0`);
  const after = await boardJson();
  const production = after.services.find((s) => s.name === 'tally')!.cells.find((c) => c.environment === 'production')!;
  expect(production.running).toMatchObject({ version: '1.1.0', release: workflowId });
  expect(after.inFlight.find((r) => r.workflowId === workflowId)).toBeUndefined();
  await page.close();
}, 180_000);

test('the board is read-only and answers only loopback names', async () => {
  expect((await fetch(boardUrl, { method: 'POST' })).status).toBe(405);
  const page = await (await fetch(boardUrl)).text();
  expect(page).toContain('<title>Gantry release board</title>');
  // Nothing is fetched from elsewhere: no script or stylesheet by URL.
  expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
});

describe('gantry board: bad input is exit 2 and serves nothing', () => {
  test.each([
    ['an address that is not one', ['board', '--listen', 'here:there'], /--listen: "here:there" is not an address; write a port/],
    ['a port out of range', ['board', '--listen', '127.0.0.1:70000'], /--listen: "127\.0\.0\.1:70000" has port 70000, outside 0–65535/],
    ['an interval too short', ['board', '--interval', '10ms'], /--interval "10ms" is not a duration of at least 250 ms/],
    ['a UI address that is not a URL', ['board', '--ui-url', 'temporal-ui'], /--ui-url "temporal-ui" is not an http\(s\) URL/],
  ])('%s', async (_what, args, message) => {
    const result = await stack.gantry(args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });
});

describe('the worker serves the board when GANTRY_BOARD says where', () => {
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    await worker?.stop();
  });

  test('gantry worker with GANTRY_BOARD=127.0.0.1:0 logs the address and serves the board of its task queue', async () => {
    worker = startWorkerProcess({ env: { ...stack.env, GANTRY_TASK_QUEUE: 'board-worker', GANTRY_HOME: path.join(stack.home, 'board-worker'), GANTRY_BOARD: '127.0.0.1:0' }, client: stack.client });
    await worker.polling();
    const url = await eventually('the worker to log the board', async () => /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"[^\n]*release board serving/.exec(worker!.output())?.[1]);
    const view = (await (await fetch(`${url}board.json`)).json()) as BoardView;
    expect(view).toMatchObject({ taskQueue: 'board-worker', inFlight: [], problems: [] });
    expect(view.services.map((s) => s.name)).toContain('tally');
  });

  test('a GANTRY_BOARD that is no address stops the worker with exit 2, naming the variable', async () => {
    const bad = await stack.gantry(['worker'], { GANTRY_TASK_QUEUE: 'board-worker-bad', GANTRY_BOARD: 'localhost:99999' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/GANTRY_BOARD: "localhost:99999" has port 99999, outside 0–65535/);
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { listEnvironments } from '../client/environment-client';
import { environmentLine } from '../cli/render-environment';
import { renderStatus } from '../cli/render-status';
import { startOrAttachRelease } from '../client/release-client';
import { buildReleaseRequest } from '../cli/commands/release';
import { loadCatalogue } from '../config/load-catalogue';
import { DemoFreeze, HELD_THEN_LET_GO } from './demo-freeze';
import { type DemoPlatform, EXAMPLE_COMMIT_DATE, prepareDemoPlatform } from './demo-platform';
import { followRelease } from '../cli/follow-release';
import { EXIT } from '../cli/exit-codes';
import { type LocalStack, startLocalStack } from '../dev/local-stack';
import { workflowUiLink } from '../shared/temporal-ui';
import { stopAllRouters } from '../providers/router/embedded-router-provider';
import { type DemoLoad, describeServed, startDemoLoad } from './demo-load';
import { stopAllInstances } from '../providers/runtime/local-process-runtime';
import { gantryHome, runtimeDir } from '../providers/state-dir';
import { DEFAULT_TASK_QUEUE, releaseWorkflowId } from '../shared/ids';
import { type ApprovePayload, approveUpdate, statusQuery } from '../shared/messages';
import { signApproval, writeSignedApprovals } from '../cli/sign-decision';
import type { Outcome, ReleaseResult, ReleaseStatus } from '../shared/release';
import { createLogger } from '../worker/logger';
import type { BoardAddress } from '../board/board-address';
import { type BoardServer, startBoardServer } from '../board/board-server';
import { BoardReader } from '../board/read-board';
import { runWorker } from '../worker/run-worker';
import { type DemoDatabases, serveDemoDatabases } from './demo-databases';
import { SCHEMA_SERVICE, showSchemaReleases } from './demo-schema-release';

export interface DemoOptions {
  port: number;
  uiPort: number;
  approveAfterMs: number;
  /** How long the demo's change freeze holds the first release before production. */
  freezeForMs: number;
  keep: boolean;
  /** Where the release board listens while the demo runs (0: a free port). */
  board: BoardAddress;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
const DEMO_AUTHOR = 'alice';
const DEMO_APPROVER = 'bob';
/** After the first release has shown how to approve, the demo approves the others quickly. */
const QUICK_APPROVAL_MS = 1_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm start`: the local stack (dev server, UI, worker) and real releases of the example
 * service: all at once through every stage, held before production by a change freeze
 * until the demo ends it; a canary that goes to 100 % under real
 * traffic and a bad one rolled back by itself; a blue/green release; and schema releases:
 * a migration shipped apart from the code that uses it, and a commit with both refused.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const started = Date.now();
  const home = gantryHome();
  mkdirSync(home, { recursive: true });
  const logFile = path.join(home, 'worker.log');
  // Worker logs go to a file so the demo's own lines stay readable.
  const logger = createLogger({ destination: pino.destination({ dest: logFile, sync: false }) });

  say(`Starting the local stack (state in ${home}, worker log in ${logFile})…`);
  const stack = await startLocalStack({ port: options.port, uiPort: options.uiPort, home });
  say(`Temporal at ${stack.settings.address}${stack.uiUrl ? `; UI at ${stack.uiUrl}` : ''}`);

  // Deployed processes do not outlive a demo (it stops them at the end), so each run
  // starts from empty environments; the release history stays in Temporal.
  await stopAllInstances(runtimeDir(home));
  await stopAllRouters(path.join(home, 'routers'));
  rmSync(runtimeDir(home), { recursive: true, force: true });
  rmSync(path.join(home, 'routers'), { recursive: true, force: true });

  const platform = prepareDemoPlatform(EXAMPLES_DIR, home);
  say(`The platform's catalogue: ${platform.catalogueFile}; the example service's repository is beside it (commit ${platform.commit.slice(0, 12)})`);

  // The databases of the service with migrations are served, and their variables set,
  // before the worker starts: it runs in this process and reads them from process.env.
  let client: Client;
  let schemaFresh: boolean;
  let databases: DemoDatabases;
  try {
    client = await connectClient(stack.settings);
    schemaFresh = (await nextUnreleasedVersion(client, SCHEMA_SERVICE)) === '1.0.0';
    const environments = Object.keys(loadCatalogue(platform.catalogueFile).service(SCHEMA_SERVICE).config.environments);
    databases = await serveDemoDatabases(home, SCHEMA_SERVICE, environments, { fresh: schemaFresh });
  } catch (err) {
    await stack.stop();
    throw err;
  }

  let stopWorker!: () => void;
  const workerStop = new Promise<void>((resolve) => (stopWorker = resolve));
  const worker = runWorker({ settings: stack.settings, logger, home, until: workerStop, catalogue: { kind: 'file', file: platform.catalogueFile } });
  const loads: DemoLoad[] = [];
  let freeze: DemoFreeze | undefined;
  let board: BoardServer | undefined;
  try {
    const taskQueue = process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
    const ui = stack.uiUrl ? { url: stack.uiUrl, namespace: stack.settings.namespace } : undefined;
    board = await startDemoBoard(new BoardReader({ client, taskQueue, ...(ui ? { ui } : {}) }), options.board);
    say(`Release board (what runs where, releases in flight, live): ${board.url}`);
    const checks: { what: string; expected: string; actual: string }[] = [];
    const release = async (service: string, version: string, approveAfterMs: number, expected: Outcome, more: { freeze?: DemoFreeze; signWith?: string; commit?: string } = {}) => {
      const result = await demoRelease(client, stack, worker, platform, { service, version, approveAfterMs, ...more });
      checks.push({ what: `${service} ${version}`, expected, actual: result.outcome });
      return result;
    };

    say('\n== 1. All at once: build, test, artifact, staging, approval, held by a change freeze, production');
    const webVersion = await nextUnreleasedVersion(client, 'web');
    freeze = await DemoFreeze.declare({ client, taskQueue, service: 'web', environment: 'production', holdMs: options.freezeForMs, ui, say });
    await release('web', webVersion, options.approveAfterMs, 'succeeded', { freeze, signWith: platform.approverKey });
    checks.push({ what: `web ${webVersion}: the signed approval`, expected: SIGNATURE_GOOD, actual: verifySignedApproval(await client.workflow.getHandle(releaseWorkflowId('web', webVersion)).query(statusQuery), home) });
    checks.push({
      what: `web ${webVersion} under freeze ${freeze.freeze.id}`,
      expected: HELD_THEN_LET_GO,
      actual: await freeze.report(client.workflow.getHandle(releaseWorkflowId('web', webVersion))),
    });

    say('\n== 2. Canary: a good version goes 10 → 50 → 100 %, a bad one is rolled back by itself');
    const shopBase = await release('shop', await nextUnreleasedVersion(client, 'shop'), QUICK_APPROVAL_MS, 'succeeded');
    const shopRouter = shopBase.status?.rollout?.routerUrl;
    if (shopRouter) {
      loads.push(startDemoLoad(shopRouter));
      say(`(load generator: 4 loops of requests to ${shopRouter})`);
    }
    await release('shop', await nextUnreleasedVersion(client, 'shop'), QUICK_APPROVAL_MS, 'succeeded');
    await release('shop', `${await nextUnreleasedVersion(client, 'shop')}-bad`, QUICK_APPROVAL_MS, 'rolled_back');
    if (loads[0]) say(`Traffic served through the canary router: ${describeServed(loads[0].served)}`);

    say('\n== 3. Blue/green: green verified on preview traffic, one switch, blue kept briefly, then retired');
    const storeBase = await release('store', await nextUnreleasedVersion(client, 'store'), QUICK_APPROVAL_MS, 'succeeded');
    const storeRouter = storeBase.status?.rollout?.routerUrl;
    if (storeRouter) loads.push(startDemoLoad(storeRouter));
    await release('store', await nextUnreleasedVersion(client, 'store'), QUICK_APPROVAL_MS, 'succeeded');

    say(`\n== 4. Schema releases (${SCHEMA_SERVICE}): a migration ships alone, before the code that uses it; a commit with both is refused`);
    const cliEnv = { ...process.env, GANTRY_HOME: home, TEMPORAL_ADDRESS: stack.settings.address, TEMPORAL_NAMESPACE: stack.settings.namespace };
    await showSchemaReleases({
      platform,
      databases,
      fresh: schemaFresh,
      nextVersion: () => nextUnreleasedVersion(client, SCHEMA_SERVICE),
      release: (version, commit) => release(SCHEMA_SERVICE, version, QUICK_APPROVAL_MS, 'succeeded', { commit }),
      check: (what, expected, actual) => checks.push({ what, expected, actual }),
      gantry: (args) => runGantry(args, cliEnv),
      say,
    });

    say('\n== What runs where now (gantry env list)');
    for (const record of await listEnvironments(client, taskQueue)) say(`  ${environmentLine(record)}`);

    checks.push({ what: 'the audit store (gantry audit verify)', expected: 'intact', actual: verifyAuditStore(home) });
    checks.push({ what: "the review of the demo's releases (gantry report)", expected: REPORT_WRITTEN, actual: reportDemo(home, started) });

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say(`\n== Summary (${seconds} s)`);
    for (const c of checks) say(`  ${c.actual === c.expected ? 'as expected' : 'UNEXPECTED '}  ${c.what}: ${c.actual}${c.actual === c.expected ? '' : ` (expected ${c.expected})`}`);
    if (stack.uiUrl) say(`All releases: ${stack.uiUrl}/namespaces/${stack.settings.namespace}/workflows?query=${encodeURIComponent('WorkflowType="releaseWorkflow"')}`);
    say(`Release board: ${board.url}${options.keep ? '' : ' (it stops with the demo: --keep keeps it, or run gantry board)'}`);

    if (options.keep) {
      say('\nThe stack keeps running so you can explore the UI; press Ctrl-C to stop it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return checks.every((c) => c.actual === c.expected) ? EXIT.ok : EXIT.unsuccessful;
  } finally {
    await board?.close();
    await freeze?.liftIfInForce();
    await Promise.all(loads.map((l) => l.stop()));
    await stopAllInstances(runtimeDir(home));
    await stopAllRouters(path.join(home, 'routers'));
    stopWorker();
    await worker.catch((err: Error) => say(`worker: ${err.message}`));
    await databases.close();
    await stack.stop();
  }
}

/** One release of the demo: started, followed stage by stage, approved if nobody does, and summed up. */
async function demoRelease(
  client: Client,
  stack: LocalStack,
  worker: Promise<void>,
  platform: DemoPlatform,
  options: { service: string; version: string; approveAfterMs: number; freeze?: DemoFreeze; signWith?: string; commit?: string },
): Promise<ReleaseResult> {
  const { service, version } = options;
  const input = buildReleaseRequest({ service, version, commit: options.commit ?? platform.commit, author: DEMO_AUTHOR });
  const strategy = loadCatalogue(platform.catalogueFile).service(service).config.environments.production.strategy;
  const taskQueue = process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  const { handle } = await startOrAttachRelease(client, input, { taskQueue });
  const { runId } = await handle.describe();
  const link = stack.uiUrl ? workflowUiLink({ url: stack.uiUrl, namespace: stack.settings.namespace }, handle.workflowId, runId) : handle.workflowId;
  say(`\nReleasing ${service} ${version} (production: ${strategy}) as ${DEMO_AUTHOR}: ${link}`);
  const approver = demoApprover(handle, options.approveAfterMs, options.signWith);
  const freezeWatch = options.freeze?.watch(handle, link);
  const onStatus = (status: ReleaseStatus) => {
    approver(status);
    freezeWatch?.(status);
  };
  const result = await Promise.race([
    followRelease(handle, process.stdout, { onStatus }),
    worker.then(() => Promise.reject(new Error('the worker stopped before the release ended'))),
  ]);
  say(`Release ${service} ${version} ${result.outcome}${result.reason ? `: ${result.reason}` : ''}`);
  const rollout = result.status?.rollout;
  if (rollout) {
    const verdicts = rollout.analyses.map((a) => a.verdict);
    say(`  ${rollout.strategy}: ${rollout.phase}, ${verdicts.length} analyses (${verdicts.filter((v) => v === 'pass').length} passed)`);
    // The figures behind the last verdict, as `gantry release status` prints them.
    for (const figure of rollout.analyses.at(-1)?.figures ?? []) say(`    ${figure}`);
  }
  // A service with migrations: what kind of release it was and each migration applied, as `gantry release status` prints them.
  if (result.status?.change) for (const line of renderStatus(result.status).split('\n').filter((l) => /^ {2}(change|migration) /.test(l))) say(line);
  const production = result.status?.environments.production;
  if (production) say(`  production serves ${await fetchText(production.url)} at ${production.url}`);
  return result;
}

/** Approves as the demo approver once the release has waited `afterMs` at the approval stage with no approval. */
function demoApprover(handle: Parameters<typeof followRelease>[0], afterMs: number, signWith?: string): (status: ReleaseStatus) => void {
  let scheduled = false;
  return (status) => {
    if (scheduled || status.stage !== 'approval' || status.outcome) return;
    scheduled = true;
    if (afterMs >= 5_000) say(`(If nobody approves within ${afterMs / 1000} s, the demo approves as ${DEMO_APPROVER}.)`);
    setTimeout(() => {
      handle
        .query(statusQuery)
        .then((now) => {
          const payload: ApprovePayload = { by: DEMO_APPROVER, comment: 'approved by the demo after a short wait' };
          return handle.executeUpdate(approveUpdate, { args: [signWith ? { ...payload, signature: signApproval(now, DEMO_APPROVER, signWith, Date.now()) } : payload] });
        })
        .then((answer) => say(`\n${answer.message}`))
        // Someone approved first, or the release moved on: nothing to do.
        .catch(() => undefined);
    }, afterMs).unref();
  };
}

const SIGNATURE_GOOD = 'verified by ssh-keygen';

/**
 * Shows what an auditor does with a signed approval: writes the statement, its signature
 * and the signers the release was admitted with, and asks the real ssh-keygen.
 */
function verifySignedApproval(status: ReleaseStatus, home: string): string {
  const dir = path.join(home, 'demo-signatures', `${status.service}-${status.version}`);
  const [command] = writeSignedApprovals(status, dir);
  const approval = status.approvals.find((a) => a.signed);
  if (!approval?.signed) return 'no signed approval';
  say(`\nThe approval by ${approval.by} is signed with ${approval.signed.fingerprint}; an auditor checks it without trusting Gantry:\n  ${command}`);
  const checked = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', path.join(dir, 'allowed_signers'), '-I', approval.by, '-n', 'gantry', '-s', path.join(dir, `1-${approval.by}.sig`)], {
    input: approval.signed.statement,
    encoding: 'utf8',
  });
  say(`  → ${(checked.stdout || checked.stderr).trim()}`);
  return checked.status === 0 ? SIGNATURE_GOOD : `ssh-keygen refused it (exit ${checked.status})`;
}

/**
 * Every decision of the demo went to the audit store (PGlite under the state folder):
 * the real `gantry audit verify` walks its hash chain, as an auditor would.
 */
function verifyAuditStore(home: string): string {
  say('\n== The audit store (gantry audit verify)');
  const verified = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'gantry.js'), 'audit', 'verify'], { env: { ...process.env, GANTRY_HOME: home }, encoding: 'utf8' });
  for (const line of `${verified.stdout}${verified.stderr}`.trim().split('\n')) say(`  ${line}`);
  return verified.status === 0 ? 'intact' : `exit ${verified.status}`;
}

/** The board on the address asked for; when its port is taken (another board runs), on a free one. */
async function startDemoBoard(reader: BoardReader, address: BoardAddress): Promise<BoardServer> {
  const options = { ...address, intervalMs: 500, read: () => reader.read() };
  try {
    return await startBoardServer(options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startBoardServer({ ...options, port: 0 });
  }
}

const REPORT_WRITTEN = 'written';

/**
 * The review of what the demo did, as a platform team reads it each quarter: the real
 * `gantry report` over the demo's own period, written beside the worker's reviews.
 */
function reportDemo(home: string, startedMs: number): string {
  say("\n== The review of the demo's releases (gantry report)");
  const dir = path.join(home, 'reviews');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date(startedMs).toISOString().replace(/[:.]/g, '-');
  const [json, html] = [path.join(dir, `demo-${stamp}.json`), path.join(dir, `demo-${stamp}.html`)];
  const args = ['report', '--since', new Date(startedMs).toISOString(), '--until', new Date(Date.now() + 1000).toISOString(), '--out', json, '--html', html];
  const report = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'gantry.js'), ...args], { env: { ...process.env, GANTRY_HOME: home }, encoding: 'utf8' });
  const lines = `${report.stdout}${report.stderr}`.trim().split('\n');
  // The headline: the period, its chain, and DORA's four keys overall and per service.
  const byMonth = lines.findIndex((line) => line.startsWith('By month'));
  for (const line of lines.slice(0, byMonth < 0 ? lines.length : byMonth)) say(`  ${line}`.trimEnd());
  say(`  (Lead times count from the example's commit, dated ${EXAMPLE_COMMIT_DATE} so that every run builds the same commit.)`);
  if (report.status !== 0) return `exit ${report.status}`;
  say(`  The whole review: ${html} (charts, opens with no network) and ${json}`);
  return REPORT_WRITTEN;
}

/** The first 1.0.N of the service that has never been released (versions are immutable). */
async function nextUnreleasedVersion(client: Client, service: string): Promise<string> {
  for (let patch = 0; ; patch++) {
    const version = `1.0.${patch}`;
    try {
      await client.workflow.getHandle(releaseWorkflowId(service, version)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return version;
      throw err;
    }
  }
}

/**
 * The real CLI against the demo's stack. Never spawnSync: the worker runs in this process
 * and must keep running to answer what the command asks.
 */
function runGantry(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'gantry.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function fetchText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await response.text()).trim();
  } catch (err) {
    return `(no answer: ${(err as Error).message})`;
  }
}

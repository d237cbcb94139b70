import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { startOrAttachRelease } from '../client/release-client';
import { buildReleaseInput } from '../cli/commands/release';
import { followRelease } from '../cli/follow-release';
import { EXIT } from '../cli/exit-codes';
import { startLocalStack, workflowUiLink } from '../dev/local-stack';
import { stopAllInstances } from '../providers/runtime/local-process-runtime';
import { gantryHome, runtimeDir } from '../providers/state-dir';
import { DEFAULT_TASK_QUEUE, releaseWorkflowId } from '../shared/ids';
import { approveUpdate } from '../shared/messages';
import type { ReleaseStatus } from '../shared/release';
import { createLogger } from '../worker/logger';
import { runWorker } from '../worker/run-worker';

export interface DemoOptions {
  port: number;
  uiPort: number;
  approveAfterMs: number;
  keep: boolean;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE_CONFIG = path.join(REPO_ROOT, 'examples', 'gantry.yaml');
const DEMO_AUTHOR = 'alice';
const DEMO_APPROVER = 'bob';

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm start`: the local stack (dev server, UI, worker) and one real release of the
 * example service through build, tests, artifact, staging, approval and production.
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

  let stopWorker!: () => void;
  const workerStop = new Promise<void>((resolve) => (stopWorker = resolve));
  const worker = runWorker({ settings: stack.settings, logger, home, until: workerStop });
  try {
    const client = await connectClient(stack.settings);
    const version = await nextUnreleasedVersion(client, 'web');
    const input = buildReleaseInput({ service: 'web', version, commit: currentCommit(), author: DEMO_AUTHOR, config: EXAMPLE_CONFIG });
    const taskQueue = process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
    const { handle } = await startOrAttachRelease(client, input, { taskQueue });
    const { runId } = await handle.describe();
    const link = stack.uiUrl ? workflowUiLink(stack.uiUrl, stack.settings.namespace, handle.workflowId, runId) : handle.workflowId;
    say(`\nReleasing web ${version} as ${DEMO_AUTHOR}: ${link}\n`);

    const autoApprove = demoApprover(handle, options.approveAfterMs);
    const result = await Promise.race([
      followRelease(handle, process.stdout, { onStatus: autoApprove }),
      worker.then(() => Promise.reject(new Error('the worker stopped before the release ended'))),
    ]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say(`\nRelease web ${version} ${result.outcome}${result.reason ? `: ${result.reason}` : ''} (${seconds} s from start)`);
    const production = result.status?.environments.production;
    if (production) say(`Production serves ${await fetchText(production.url)} at ${production.url}`);
    say(`History and details: ${link}`);

    if (options.keep) {
      say('\nThe stack keeps running so you can explore the UI; press Ctrl-C to stop it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return result.outcome === 'succeeded' ? EXIT.ok : EXIT.unsuccessful;
  } finally {
    await stopAllInstances(runtimeDir(home));
    stopWorker();
    await worker.catch((err: Error) => say(`worker: ${err.message}`));
    await stack.stop();
  }
}

/** Approves as the demo approver once the release has waited `afterMs` at the approval stage with no approval. */
function demoApprover(handle: Parameters<typeof followRelease>[0], afterMs: number): (status: ReleaseStatus) => void {
  let scheduled = false;
  return (status) => {
    if (scheduled || status.stage !== 'approval' || status.outcome) return;
    scheduled = true;
    say(`(If nobody approves within ${afterMs / 1000} s, the demo approves as ${DEMO_APPROVER}.)`);
    setTimeout(() => {
      handle
        .executeUpdate(approveUpdate, { args: [{ by: DEMO_APPROVER, comment: 'approved by the demo after a short wait' }] })
        .then((answer) => say(`\n${answer.message}`))
        // Someone approved first, or the release moved on: nothing to do.
        .catch(() => undefined);
    }, afterMs).unref();
  };
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

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '0000000';
  }
}

async function fetchText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await response.text()).trim();
  } catch (err) {
    return `(no answer: ${(err as Error).message})`;
  }
}

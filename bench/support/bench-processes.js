'use strict';
// What the benchmarks start the same way: a `gantry worker` process that is ready once the
// server lists it among its task queue's pollers, and a one-commit git repository for
// their services.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { temporal } = require('@temporalio/proto');

const GANTRY = path.join(__dirname, '..', '..', 'bin', 'gantry.js');

/**
 * Starts `gantry worker` with `env`, logging to `logFile`, and resolves once it polls
 * `taskQueue`; `stop()` ends it (SIGTERM, SIGKILL after 15 s).
 */
async function spawnWorker(client, env, logFile, taskQueue) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [GANTRY, 'worker'], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const worker = {
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the worker exited before it polled; see ${logFile}`);
    const answer = await client.workflowService
      .describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW })
      .catch(() => ({ pollers: [] }));
    if (answer.pollers.some((p) => p.identity.startsWith(`${child.pid}@`))) return worker;
    await sleep(100);
  }
}

/** A new git repository in `dir` whose one commit holds `app.txt` (text `content`); returns the commit. */
function initRepository(dir, content, message) {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'app.txt'), content);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com' };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

module.exports = { spawnWorker, initRepository };

#!/usr/bin/env node
'use strict';
// How long `gantry release start --wait` takes, start to done, for the smallest service
// of the examples (build, unit and integration tests, lint, artifact, staging and
// production all at once with smoke tests, no approval), here and in another checkout
// (`--baseline <dir>`, e.g. a `git worktree` of an older commit, built with `npm run build`).
// It starts a dev server and one `gantry worker` per checkout (each on its own task queue
// and state folder), writes one script per checkout that runs a single release with a
// new version, prints them so a paired timer can run them in turn (A B A B …), and
// runs until Ctrl-C. Run: `npm run build && node bench/release-start.js [--baseline <dir>]`.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { startDevServer } = dist('dev/dev-server');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');

async function main() {
  const baselineAt = process.argv.indexOf('--baseline');
  const baseline = baselineAt > 0 ? path.resolve(process.argv[baselineAt + 1]) : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-start-'));
  fs.cpSync(path.join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !['dist', 'node_modules'].includes(path.basename(src)) });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com' };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: path.join(dir, 'web'), env, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'The example service');
  const commit = git('rev-parse', 'HEAD');

  const doc = YAML.parse(fs.readFileSync(path.join(dir, 'gantry.yaml'), 'utf8'));
  const quick = { ...doc.services.web, approval: { approvers: [], minApprovals: 0 } };
  const catalogue = path.join(dir, 'gantry.yaml');
  fs.writeFileSync(catalogue, YAML.stringify({ version: 1, services: { quick } }));
  // Before the platform held the catalogue, a service named its folder as `source`.
  const { repository, directory: _directory, ...rest } = quick;
  const baselineCatalogue = path.join(dir, 'gantry-baseline.yaml');
  fs.writeFileSync(baselineCatalogue, YAML.stringify({ version: 1, services: { quick: { source: repository, ...rest } } }));

  const server = await startDevServer();
  const checkouts = [{ name: 'current', root: REPO }, ...(baseline ? [{ name: 'baseline', root: baseline }] : [])];
  const workers = [];
  const scripts = {};
  for (const { name, root } of checkouts) {
    const settings = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      GANTRY_TASK_QUEUE: `bench-${name}`,
      GANTRY_HOME: path.join(dir, `.gantry-${name}`),
      GANTRY_CATALOGUE: catalogue,
      GANTRY_CONFIG: name === 'current' ? catalogue : baselineCatalogue,
    };
    const log = fs.openSync(path.join(dir, `worker-${name}.log`), 'a');
    workers.push({ home: settings.GANTRY_HOME, child: spawn(process.execPath, [path.join(root, 'bin', 'gantry.js'), 'worker'], { env: { ...process.env, ...settings }, stdio: ['ignore', log, log] }) });
    const script = path.join(dir, `${name}.sh`);
    const exports = Object.entries(settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    fs.writeFileSync(
      script,
      `#!/bin/sh\n# One release of quick with a new version, through ${root}.\nexec env ${exports} ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(root, 'bin', 'gantry.js'))} release start --service quick --version "1.0.$(date +%s%N)" --commit ${commit} --author alice --wait\n`,
    );
    scripts[name] = script;
  }

  console.log(`dev server ${server.address}; workspace and worker logs in ${dir}`);
  console.log(`one release: sh ${scripts.current}`);
  if (baseline) console.log(`baseline:    sh ${scripts.baseline}   (time the two in turn, A B A B …, and compare medians)`);
  console.log('Ctrl-C stops the workers, the deployed instances and the server.');
  await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => new Promise((r) => (worker.child.exitCode !== null ? r() : worker.child.once('exit', r)))));
  for (const worker of workers) await stopAllInstances(path.join(worker.home, 'runtime'));
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

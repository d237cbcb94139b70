#!/usr/bin/env node
'use strict';
// Records workflow histories from real runs (dev server, real worker, the example
// service) into test/replay/histories, for the replay tests that guard determinism.
// Run after a deliberate change of workflow behaviour: `npm run build && node scripts/record-histories.js`.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('@temporalio/client');
const { NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');
const { historyToJSON } = require('@temporalio/common/lib/proto-utils');

const dist = (p) => require(path.join(__dirname, '..', 'dist', p));
const { startDevServer } = dist('dev/dev-server');
const { createGantryWorker } = dist('worker/worker');
const YAML = require('yaml');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');
const { stopAllRouters } = dist('providers/router/embedded-router-provider');
const messages = dist('shared/messages');

const OUT = path.join(__dirname, '..', 'test', 'replay', 'histories');

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-record-'));
  fs.cpSync(path.join(__dirname, '..', 'examples'), dir, { recursive: true, filter: (src) => !['dist', 'node_modules'].includes(path.basename(src)) });
  // The example service's repository, and the platform's catalogue with every service the scenarios release.
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: path.join(dir, 'web'), env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'The example service');
  const commit = git('rev-parse', 'HEAD');
  const catalogueFile = path.join(dir, 'gantry.yaml');
  const doc = YAML.parse(fs.readFileSync(catalogueFile, 'utf8'));
  doc.services['canary-web'] = progressiveService(doc.services.web, 'canary');
  doc.services['bluegreen-web'] = progressiveService(doc.services.web, 'blueGreen');
  doc.services['committed-web'] = progressiveService(doc.services.web, 'canary', 'DRAIN_MS=1500 ');
  doc.services['hosts-canary-web'] = progressiveService(doc.services.web, 'canary', '', { latencyToleranceMs: 200 });
  doc.services['hosts-bluegreen-web'] = progressiveService(doc.services.web, 'blueGreen', '', { latencyToleranceMs: 200 });
  // A webhook that always answers 500: the notifier gives up on it and tells the release.
  const failingHook = await startFailingWebhook();
  doc.services['notified-web'] = { ...doc.services.web, notifications: { webhooks: [{ url: failingHook.url, events: ['approval'] }] } };
  doc.services['guarded-web'] = { ...doc.services.web, approval: { approvers: [], minApprovals: 0 }, environments: { staging: {}, production: { soakInPrevious: '3s' } } };
  // The calendar checks roles: alice practises on calendar-web, dana owns its process.
  doc.services['calendar-web'] = { ...doc.services.web, roles: { practitioners: ['alice'], processOwners: ['dana'] } };
  doc.services['audited-web'] = progressiveService(doc.services.web, 'canary', '', { latencyToleranceMs: 200 });
  fs.writeFileSync(catalogueFile, YAML.stringify(doc));

  const server = await startDevServer();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'record';
  const worker = await createGantryWorker({ connection, namespace: 'default', taskQueue, home: path.join(dir, '.gantry'), catalogue: { kind: 'file', file: catalogueFile } });
  // All a starter sends: the platform's catalogue decides the rest.
  const input = (version, service = 'web') => ({ service, version, commit, author: 'alice' });
  const start = (version) => client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/web/${version}`, args: [input(version)] });
  const atApproval = async (handle) => {
    for (;;) {
      const s = await handle.query(messages.statusQuery);
      if (s.stage === 'approval') return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const save = async (name, handle) => {
    const history = await handle.fetchHistory();
    fs.writeFileSync(path.join(OUT, `${name}.json`), `${historyToJSON(history)}\n`);
    console.log(`recorded ${name} (${history.events.length} events)`);
  };

  // Scenarios by name: `node scripts/record-histories.js committed` records only that one,
  // so histories recorded by older code stay as they are and keep guarding its runs.
  const only = process.argv.slice(2);
  const wanted = (name) => only.length === 0 || only.includes(name);

  try {
    await worker.runUntil(async () => {
      if (wanted('pipeline')) await recordPipeline();
      if (wanted('progressive')) await recordProgressive();
      if (wanted('committed')) await recordCommitted();
      if (wanted('admitted')) await recordAdmitted();
      if (wanted('entities')) await recordEntities();
      if (wanted('hosts')) await recordHosts();
      if (wanted('guards')) await recordGuards();
      if (wanted('notifications')) await recordNotifications();
      if (wanted('audited')) await recordAudited();
      if (wanted('calendar-roles')) await recordCalendarRoles();
      if (wanted('review')) await recordReview();
    });
  } finally {
    // Instances and routers outlive the worker by design: a failed recording must not leave them running.
    await stopAllInstances(path.join(dir, '.gantry', 'runtime'));
    await stopAllRouters(path.join(dir, '.gantry', 'routers'));
    await connection.close();
    await server.stop();
    failingHook.server.close();
  }

  /**
   * Since notifications: a release told (signal notificationFailed) that the worker gave
   * up on the webhook notified of its approval, recorded while it waited for its approver.
   */
  async function recordNotifications() {
    const name = 'notified-web';
    const handle = await client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/${name}/1.0.0`, args: [input('1.0.0', name)] });
    for (;;) {
      const s = await handle.query(messages.statusQuery);
      if (s.stage === 'approval' && (s.notificationFailures ?? []).length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.executeUpdate(messages.approveUpdate, { args: [{ by: 'bob' }] });
    await handle.result();
    await save('notified-release-succeeded', handle);
  }

  async function recordPipeline() {
    const succeeded = await start('1.0.0');
    await atApproval(succeeded);
    await succeeded.signal(messages.approveSignal, { by: 'alice' }); // ignored: the author
    await succeeded.executeUpdate(messages.approveUpdate, { args: [{ by: 'bob', comment: 'ship it' }] });
    await succeeded.result();
    await save('release-succeeded', succeeded);

    const rejected = await start('1.1.0');
    await atApproval(rejected);
    await rejected.executeUpdate(messages.rejectUpdate, { args: [{ by: 'bob', reason: 'not this week' }] });
    await rejected.result().catch(() => undefined);
    await save('release-rejected', rejected);

    const aborted = await start('1.2.0');
    await atApproval(aborted);
    await aborted.signal(messages.abortSignal, { by: 'carol', reason: 'incident' });
    await aborted.result().catch(() => undefined);
    await save('release-aborted', aborted);

    // One lock history is enough to guard the lock workflow: the first run of web's staging lock.
    const locks = [];
    for await (const wf of client.workflow.list({ query: 'WorkflowId = "lock/web/staging"' })) locks.push(wf);
    const firstLock = locks.sort((a, b) => a.startTime - b.startTime)[0];
    await save('lock-web-staging', client.workflow.getHandle(firstLock.workflowId, firstLock.runId));
  }

  /**
   * Since environments are entities (patch 'environment-entities'): a release that takes
   * its turns on them and reports its deploys, and the staging entity's own history.
   */
  async function recordEntities() {
    const release = await start('3.0.0');
    await atApproval(release);
    await release.executeUpdate(messages.approveUpdate, { args: [{ by: 'bob', comment: 'ship it' }] });
    await release.result();
    await save('entities-release-succeeded', release);
    await save('environment-web-staging', client.workflow.getHandle('environment/web/staging@record'));
  }

  /**
   * Since admission (the platform's catalogue decides, patch 'platform-admission'): a
   * release admitted, approved and shipped, and one refused because its commit is not in
   * the service's repository.
   */
  async function recordAdmitted() {
    const admitted = await start('2.0.0');
    await atApproval(admitted);
    await admitted.executeUpdate(messages.approveUpdate, { args: [{ by: 'bob', comment: 'ship it' }] });
    await admitted.result();
    await save('admitted-release-succeeded', admitted);

    const refused = await client.workflow.start('releaseWorkflow', {
      taskQueue, workflowId: 'release/web/2.1.0', args: [{ ...input('2.1.0'), commit: 'abcdef1234567' }],
    });
    await refused.result().catch(() => undefined);
    await save('admitted-release-refused', refused);
  }

  /**
   * Since machine-local work goes to the host that owns it (patch 'worker-hosts'): a
   * canary and a blue/green release whose checkout and environments are placed on the
   * worker's host and whose runtime, router, measurements and smoke tests run on its
   * queue, their rollouts, and an environment entity answering placements.
   */
  async function recordHosts() {
    for (const [strategy, name] of [['canary', 'hosts-canary-web'], ['blueGreen', 'hosts-bluegreen-web']]) {
      let stopLoad;
      for (const version of ['1.0.0', '1.1.0']) {
        const handle = await client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/${name}/${version}`, args: [input(version, name)] });
        const result = await handle.result();
        stopLoad ??= loadThrough(result.status.rollout.routerUrl);
        if (version === '1.1.0') {
          await save(`${strategy}-hosts-release`, handle);
          await save(`${strategy}-hosts-rollout`, client.workflow.getHandle(`rollout/${name}/production/${version}`));
        }
      }
      await stopLoad();
    }
    await save('environment-hosts-canary-web-production', client.workflow.getHandle('environment/hosts-canary-web/production@record'));
  }

  /**
   * Since the guards on what may progress (patches 'quarantine', 'soak-in-previous',
   * 'no-downgrade'): a release held by a quarantine until it is lifted, then by the soak
   * before production; an older version refused; the same version as an explicit
   * rollback; and the change calendar that kept the quarantine.
   */
  async function recordGuards() {
    const name = 'guarded-web';
    const { quarantineVersion, liftQuarantine } = dist('client/change-calendar-client');
    const release = (version, extra = {}) => client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/${name}/${version}`, args: [{ ...input(version, name), ...extra }] });
    await quarantineVersion(client, taskQueue, { service: name, version: '1.0.0', by: 'carol', reason: 'corrupts carts' });
    const held = await release('1.0.0');
    for (;;) {
      if ((await held.query(messages.statusQuery)).hold) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await liftQuarantine(client, taskQueue, { service: name, version: '1.0.0', by: 'dave', reason: 'carts repaired' });
    await held.result();
    await save('guards-release-quarantined-soaked', held);

    const older = await release('0.9.0');
    await older.result().catch(() => undefined);
    await save('guards-release-downgrade-refused', older);
    const rollback = await release('0.9.0', { rollback: { reason: '1.0.0 corrupts carts' } });
    await rollback.result();
    await save('guards-release-rollback', rollback);
    await save('calendar-record', client.workflow.getHandle('change-calendar@record'));
  }

  /** Since the quarterly review: one run, reviewing a quarter of this recording's store (no webhooks in the catalogue). */
  async function recordReview() {
    const handle = await client.workflow.start('quarterlyReviewWorkflow', { taskQueue, workflowId: 'quarterly-review/record', args: [{ quarter: '2026Q4' }] });
    await handle.result();
    await save('review-quarter', handle);
  }

  /**
   * Since the change calendar checks roles (patch 'calendar-roles'): a freeze and a
   * quarantine refused to someone without the role, then made and undone by those with it.
   */
  async function recordCalendarRoles() {
    const calendar = dist('client/change-calendar-client');
    const service = 'calendar-web';
    const refused = (promise) => promise.then(() => { throw new Error('the calendar should have refused this'); }, () => undefined);
    await refused(calendar.declareFreeze(client, taskQueue, { by: 'mallory', reason: 'incident', services: [service] }));
    const { freeze } = await calendar.declareFreeze(client, taskQueue, { by: 'alice', reason: 'incident', services: [service] });
    await refused(calendar.endFreeze(client, taskQueue, { id: freeze.id, by: 'mallory' }));
    await calendar.endFreeze(client, taskQueue, { id: freeze.id, by: 'dana', reason: 'fixed' });
    await refused(calendar.quarantineVersion(client, taskQueue, { service, version: '1.0.0', by: 'mallory', reason: 'looks odd' }));
    await calendar.quarantineVersion(client, taskQueue, { service, version: '1.0.0', by: 'alice', reason: 'corrupts carts' });
    await calendar.liftQuarantine(client, taskQueue, { service, version: '1.0.0', by: 'dana', reason: 'carts repaired' });
    await save('calendar-roles', client.workflow.getHandle('change-calendar@record'));
  }

  /**
   * Since every workflow stores its decisions through an outbox (patch 'audit-store'): a
   * release with a canary rollout, each waiting for its record to be stored before it
   * deploys and ends, and the environment entity that granted the turns.
   */
  async function recordAudited() {
    const name = 'audited-web';
    let stopLoad;
    for (const version of ['1.0.0', '1.1.0']) {
      const handle = await client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/${name}/${version}`, args: [input(version, name)] });
      const result = await handle.result();
      stopLoad ??= loadThrough(result.status.rollout.routerUrl);
      if (version === '1.1.0') {
        await save('audited-release-succeeded', handle);
        await save('canary-audited-rollout', client.workflow.getHandle(`rollout/${name}/production/${version}`));
      }
    }
    await stopLoad();
    await save('environment-audited-web-production', client.workflow.getHandle('environment/audited-web/production@record'));
  }

  /** A bounded load through a router until `stop()`: progressive rollouts need traffic to judge. */
  function loadThrough(url) {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await fetch(url, { headers: { 'x-gantry-user': `u${Math.floor(Math.random() * 100)}` } }).then((r) => r.arrayBuffer()).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }

  async function recordProgressive() {
    const progressive = async (strategy, versions) => {
      const name = strategy === 'canary' ? 'canary-web' : 'bluegreen-web';
      let stopLoad;
      for (const version of versions) {
        const handle = await client.workflow.start('releaseWorkflow', {
          taskQueue, workflowId: `release/${name}/${version}`, args: [input(version, name)],
        });
        const result = await handle.result();
        stopLoad ??= loadThrough(result.status.rollout.routerUrl);
        if (version === versions[versions.length - 1]) {
          await save(`${strategy}-release`, handle);
          await save(`${strategy}-rollout`, client.workflow.getHandle(`rollout/${name}/production/${version}`));
        }
      }
      await stopLoad();
    };
    await progressive('canary', ['1.0.0', '1.1.0']);
    await progressive('blueGreen', ['1.0.0', '1.1.0']);
  }

  /**
   * The commit point and the rollback path of today's canary: a promote --full whose
   * promotion a rollback and an abort reach too late (both refused, while the old
   * version drains), then a bad version the analysis rolls back by itself.
   */
  async function recordCommitted() {
    const name = 'committed-web';
    const release = (version) => client.workflow.start('releaseWorkflow', { taskQueue, workflowId: `release/${name}/${version}`, args: [input(version, name)] });
    const first = await (await release('1.0.0')).result();
    const stopLoad = loadThrough(first.status.rollout.routerUrl);
    const statusOf = async (handle, ready) => {
      for (;;) {
        const s = await handle.query(messages.statusQuery);
        if (ready(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const committed = await release('1.1.0');
    await statusOf(committed, (s) => s.rollout?.phase === 'progressing');
    await committed.executeUpdate(messages.promoteUpdate, { args: [{ by: 'lead', reason: 'ship it', full: true }] });
    await statusOf(committed, (s) => s.rollout?.phase === 'promoting');
    await client.workflow.getHandle(`rollout/${name}/production/1.1.0`).signal('rollback', { by: 'oncall', reason: 'too late' });
    await committed.signal(messages.abortSignal, { by: 'oncall', reason: 'too late' });
    await committed.result();
    await save('canary-committed-release', committed);
    await save('canary-committed-rollout', client.workflow.getHandle(`rollout/${name}/production/1.1.0`));

    const bad = await release('1.2.0-bad');
    await bad.result().catch(() => undefined);
    await save('canary-rolled-back-release', bad);
    await save('canary-rolled-back-rollout', client.workflow.getHandle(`rollout/${name}/production/1.2.0-bad`));
    await stopLoad();
  }
}

/** A local HTTP server that answers every webhook with 500. */
async function startFailingWebhook() {
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end('down'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/hook` };
}

/** A progressive copy of the example service for recordings: short soaks, no approval, judged on a little traffic. */
function progressiveService(web, strategy, commandPrefix = '', analysis = {}) {
  return {
    ...web,
    run: { ...web.run, command: `${commandPrefix}${web.run.command}` },
    approval: { approvers: [], minApprovals: 0 },
    environments: {
      staging: {},
      production: {
        strategy,
        canary: { steps: [{ weight: 25, soak: '4s' }, { weight: 100 }], interval: '2s', analysis: { minRequests: 3, ...analysis } },
        blueGreen: { keepBlueFor: '4s', interval: '2s', previewRequests: 20, analysis: { minRequests: 3, ...analysis } },
      },
    },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

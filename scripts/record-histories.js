#!/usr/bin/env node
'use strict';
// Records workflow histories from real runs (dev server, real worker, the example
// service) into test/replay/histories, for the replay tests that guard determinism.
// Run after a deliberate change of workflow behaviour: `npm run build && node scripts/record-histories.js`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('@temporalio/client');
const { NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');
const { historyToJSON } = require('@temporalio/common/lib/proto-utils');

const dist = (p) => require(path.join(__dirname, '..', 'dist', p));
const { startDevServer } = dist('dev/dev-server');
const { createGantryWorker } = dist('worker/worker');
const { loadCatalogue } = dist('config/load-catalogue');
const { stopAllInstances } = dist('providers/runtime/local-process-runtime');
const messages = dist('shared/messages');

const OUT = path.join(__dirname, '..', 'test', 'replay', 'histories');

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-record-'));
  fs.cpSync(path.join(__dirname, '..', 'examples'), dir, { recursive: true });
  const service = loadCatalogue(path.join(dir, 'gantry.yaml')).service('web');
  const server = await startDevServer();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'record';
  const worker = await createGantryWorker({ connection, namespace: 'default', taskQueue, home: path.join(dir, '.gantry') });
  const input = (version) => ({
    service: 'web', version, commit: '0123456789abcdef0123456789abcdef01234567', author: 'alice', sourceDir: service.sourceDir, config: service.config,
  });
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

  await worker.runUntil(async () => {
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

    for await (const wf of client.workflow.list({ query: 'WorkflowType = "environmentLockWorkflow"' })) {
      await save(`lock-${wf.workflowId.split('/').slice(1).join('-')}`, client.workflow.getHandle(wf.workflowId, wf.runId));
      break; // one lock history is enough to guard the lock workflow
    }
  });
  await stopAllInstances(path.join(dir, '.gantry', 'runtime'));
  await connection.close();
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

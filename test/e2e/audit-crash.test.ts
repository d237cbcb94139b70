import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { embeddedAuditDir } from '../../src/providers/audit/audit-store-setting';
import type { AuditEntry } from '../../src/providers/audit/audit-store';
import { decisionsQuery } from '../../src/shared/decision-events';
import { releaseWorkflowId } from '../../src/shared/ids';
import { type CrashStack, startCrashStack } from '../support/crash-stack';
import { releaseAndWait } from '../support/traffic';

/**
 * A real `gantry worker` writing to the embedded audit store (PGlite under its
 * GANTRY_HOME) is SIGKILLed again and again while it holds the store open (opening it,
 * appending, or just after), and a new one is started each time. The release must end as
 * usual and the store must hold each of its decisions exactly once, with no gap, in a
 * chain that verifies: the kill leaves either a committed batch (which the retry then
 * skips by key) or none (which the retry writes), and a dead worker's lock is taken over.
 */
const KILLS = 6;

let stack: CrashStack;
beforeAll(async () => {
  stack = await startCrashStack('audit', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      const web = doc.services.web;
      delete web.test.integration; // spawns servers of its own: slow, and not what is tested here
      doc.services = { audited: { ...web, approval: { approvers: [], minApprovals: 0 } } };
      return YAML.stringify(doc);
    },
  });
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

test('a worker killed while it writes to the audit store leaves no duplicate and no gap', async () => {
  const lock = `${embeddedAuditDir(stack.home)}.lock`;
  let ended = false;
  const running = releaseAndWait(stack, 'audited', '1.0.0').finally(() => (ended = true));
  let kills = 0;
  while (kills < KILLS && !ended) {
    while (!ended && !existsSync(lock)) await sleep(5);
    if (ended) break;
    // Somewhere in the open (≈0.25 s), the append, or the idle second after it.
    await sleep(Math.floor(Math.random() * 400));
    await stack.killWorker();
    kills += 1;
    await stack.startWorker();
  }
  const result = await running;
  expect({ code: result.code, outcome: result.doc?.outcome }).toEqual({ code: 0, outcome: 'succeeded' });
  expect(kills).toBeGreaterThanOrEqual(3);

  const workflowId = releaseWorkflowId('audited', '1.0.0');
  const recorded = await stack.client.workflow.getHandle(workflowId).query(decisionsQuery);
  const show = await stack.gantry(['audit', 'show', 'audited', '1.0.0', '--json']);
  expect(show.code).toBe(0);
  const stored = (JSON.parse(show.stdout) as AuditEntry[]).filter((e) => e.event.workflowId === workflowId && e.event.seq > 0);
  expect(stored.map((e) => e.event.seq)).toEqual(recorded.map((e) => e.seq));
  expect(recorded.map((e) => e.seq)).toEqual(recorded.map((_, i) => i + 1));
  const verify = await stack.gantry(['audit', 'verify']);
  expect({ code: verify.code, stdout: verify.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^intact: \d+ entries in PGlite in /) });
  process.stdout.write(`audit crash: ${kills} kills while the store was open; ${stored.length} release events stored once each; ${verify.stdout}`);
});

import YAML from 'yaml';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { EnvironmentRecord } from '../../src/shared/environment';
import type { ReleaseStatus } from '../../src/shared/release';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Environments are durable entities: each records what runs there, grants releases their
 * turn one at a time, and a release verified in staging learns at approval that staging
 * no longer runs its version. Real CLI, dev server, builds and processes.
 */
const SERVICE = 'ledger';

let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('environments', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      // Slow to start, so a second release has to wait for its turn in staging.
      doc.services[SERVICE] = { ...doc.services.web, run: { ...doc.services.web.run, command: 'sleep 20 && exec node dist/server.js' } };
      return YAML.stringify(doc);
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const status = (version: string): Promise<ReleaseStatus> => stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, version)).query(statusQuery);
const until = (what: string, version: string, check: (s: ReleaseStatus) => boolean) =>
  eventually(what, async () => {
    const s = await status(version);
    if (process.env.DEBUG_ENV) process.stdout.write(`${what}: ${version} ${s.stage} ${s.waitingFor ?? ''} ${s.outcome ?? ''}\n`);
    return check(s) ? s : undefined;
  }, 120_000);

async function envStatus(environment: string): Promise<EnvironmentRecord> {
  const shown = await stack.gantry(['env', 'status', SERVICE, environment, '--json']);
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout);
}

test('two releases queue on the environment; the one whose staging was replaced while it waited for approval learns it and stops', async () => {
  const start = (version: string) => stack.gantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', stack.commit, '--author', 'alice']);
  expect((await start('7.0.0')).code).toBe(0);
  await until('7.0.0 deploying to staging', '7.0.0', (s) => s.stage === 'staging' && /healthy in staging/.test(s.waitingFor ?? ''));
  expect((await start('7.1.0')).code).toBe(0);

  // The second one waits for its turn, and says whose turn it is; so does the entity.
  const waiting = await until('7.1.0 waiting for its turn', '7.1.0', (s) => /its turn to deploy to staging: /.test(s.waitingFor ?? ''));
  expect(waiting.waitingFor).toContain(`${releaseWorkflowId(SERVICE, '7.0.0')} is deploying there`);
  const busy = await envStatus('staging');
  expect(busy.holder?.workflowId).toBe(releaseWorkflowId(SERVICE, '7.0.0'));
  expect(busy.queue.map((q) => q.workflowId)).toEqual([releaseWorkflowId(SERVICE, '7.1.0')]);

  await until('7.0.0 at approval', '7.0.0', (s) => s.stage === 'approval');
  await until('7.1.0 at approval', '7.1.0', (s) => s.stage === 'approval');
  const staging = await envStatus('staging');
  expect(staging.current).toMatchObject({ version: '7.1.0', release: releaseWorkflowId(SERVICE, '7.1.0') });
  expect(staging.previous).toMatchObject({ version: '7.0.0' });
  expect(staging.history.map((e) => `${e.kind} ${e.version}`)).toEqual(['deployed 7.0.0', 'deployed 7.1.0']);
  expect(staging.holder).toBeUndefined();

  // 7.0.0 is approved, but staging no longer runs it: it says so instead of shipping it.
  const approvedOld = await stack.gantry(['release', 'approve', SERVICE, '7.0.0', '--as', 'bob']);
  expect(approvedOld.code).toBe(0);
  const old = await until('7.0.0 to end', '7.0.0', (s) => s.outcome !== undefined);
  expect(old.outcome).toBe('failed');
  expect(old.reason).toMatch(/staging now runs 7\.1\.0 \(deployed by release\/ledger\/7\.1\.0 at .*\): the verification of 7\.0\.0 there no longer holds/);
  expect(old.timeline.map((t) => t.stage)).not.toContain('production');
  // Its failure put back nothing it did not own: staging still runs 7.1.0.
  expect((await envStatus('staging')).current?.version).toBe('7.1.0');

  const approvedNew = await stack.gantry(['release', 'approve', SERVICE, '7.1.0', '--as', 'bob']);
  expect(approvedNew.code).toBe(0);
  expect((await until('7.1.0 to end', '7.1.0', (s) => s.outcome !== undefined)).outcome).toBe('succeeded');
  expect((await envStatus('production')).current).toMatchObject({ version: '7.1.0', release: releaseWorkflowId(SERVICE, '7.1.0') });

  const listed = await stack.gantry(['env', 'list', '--service', SERVICE]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/ledger\/production\s+7\.1\.0 since/);
  expect(listed.stdout).toMatch(/ledger\/staging\s+7\.1\.0 since/);

  // The same record through the plain temporal CLI.
  const entityId = `environment/${SERVICE}/production@${stack.taskQueue}`;
  const queried = await stack.temporal(['workflow', 'query', '-w', entityId, '--name', 'environment', '-o', 'json']);
  expect(queried.code).toBe(0);
  expect(JSON.parse(queried.stdout).queryResult[0].current.version).toBe('7.1.0');
}, 300_000);

test('an environment nobody deployed to is exit 2 with what exists', async () => {
  const missing = await stack.gantry(['env', 'status', SERVICE, 'qa']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no environment qa of ledger has a record; ledger has (production, staging|staging)/);
});

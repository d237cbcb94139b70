import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import YAML from 'yaml';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
let deployLog: string;
beforeAll(async () => {
  stack = await startE2EStack('lock', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      const service = doc.services.web;
      delete doc.services.web;
      // The smoke test runs while the release holds the environment; it records when it
      // starts and ends so the test can see whether two deploys ever overlapped.
      // The first version holds staging until the test lets go (a file appears, 90 s at
      // most), so the second, started meanwhile, certainly asks for staging while it is
      // held: the wait is forced, not a matter of how two builds get scheduled.
      service.smoke =
        'echo "start $GANTRY_VERSION $GANTRY_ENVIRONMENT" >> "$DEPLOY_LOG"; if [ "$GANTRY_VERSION-$GANTRY_ENVIRONMENT" = 1.0.0-staging ]; then i=0; while [ ! -e "$DEPLOY_LOG.go" ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done; else sleep 1; fi; node smoke.js; echo "end $GANTRY_VERSION $GANTRY_ENVIRONMENT" >> "$DEPLOY_LOG"';
      service.approval = { approvers: [], minApprovals: 0 };
      // Commands see only what the service names of the worker's environment.
      service.passEnv = ['DEPLOY_LOG'];
      doc.services.checkout = service;
      return YAML.stringify(doc);
    },
  });
  deployLog = path.join(stack.dir, 'deploys.log');
  process.env.DEPLOY_LOG = deployLog; // inherited by the worker's smoke commands
});
afterAll(async () => {
  await stack?.stop();
});

test('two releases of one service never deploy to the same environment at once; the second waits visibly', async () => {
  const start = (version: string) =>
    stack.gantry(['release', 'start', '--service', 'checkout', '--version', version, '--commit', stack.commit, '--author', 'alice', '--wait', '--json']);
  const first = start('1.0.0');
  await eventually('1.0.0 to hold staging', async () => (readFileSync(deployLog, { encoding: 'utf8', flag: 'a+' }).includes('start 1.0.0 staging') ? true : undefined));
  const second = start('1.1.0');

  // The second says, in its status, that it waits for the first.
  const waitingText = await eventually('1.1.0 waiting for its turn in staging', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      const status = await stack.client.workflow.getHandle(releaseWorkflowId('checkout', version)).query(statusQuery);
      if (status.waitingFor?.includes('is deploying there')) return status.waitingFor;
    }
    return undefined;
  });
  expect(waitingText).toMatch(/its turn to deploy to staging: release\/checkout\/1\.0\.0 is deploying there/);
  writeFileSync(`${deployLog}.go`, '');

  const results = await Promise.all([first, second]);
  for (const r of results) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('succeeded');
  }

  const lines = readFileSync(deployLog, 'utf8').trim().split('\n');
  for (const environment of ['staging', 'production']) {
    const events = lines.filter((l) => l.endsWith(` ${environment}`)).map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(events).toHaveLength(4);
    // Each start is followed by the end of the same version before anything else starts.
    expect(events[1]).toBe(events[0].replace('start', 'end'));
    expect(events[3]).toBe(events[2].replace('start', 'end'));
    expect(new Set(events.map((e) => e.split(' ')[1])).size).toBe(2);
  }
});

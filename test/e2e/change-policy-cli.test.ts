import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
beforeAll(async () => {
  // The platform's change policy: Berlin time, the default production window, Christmas.
  stack = await startE2EStack('policy', {
    editConfig: (yaml) => yaml.replace(/^services:\n/m, 'changePolicy:\n  timeZone: Europe/Berlin\n  holidays: [2026-12-25]\nservices:\n'),
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('gantry policy check asks the platform\'s change policy before a release starts', () => {
  test('Friday 16:00 in Berlin: staging is open, production is held until Monday 06:00 (exit 1)', async () => {
    const result = await stack.gantry(['policy', 'check', '--service', 'web', '--at', '2026-12-04T16:00:00+01:00']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual([
      'web → staging: open at Fri 2026-12-04 16:00 Europe/Berlin (risk medium)',
      'web → production: held at Fri 2026-12-04 16:00 Europe/Berlin until Mon 2026-12-07 06:00 Europe/Berlin — production is in a blocked deploy window (fri 12:00 to mon 06:00, Europe/Berlin)',
    ]);
  });

  test('Thursday morning every environment is open (exit 0); Christmas Eve is held as the day before a holiday', async () => {
    const open = await stack.gantry(['policy', 'check', '--service', 'web', '--environment', 'production', '--at', '2026-12-03T09:00:00Z']);
    expect({ code: open.code, stdout: open.stdout.trim() }).toEqual({ code: 0, stdout: 'web → production: open at Thu 2026-12-03 10:00 Europe/Berlin (risk medium)' });
    const eve = await stack.gantry(['policy', 'check', '--service', 'web', '--environment', 'staging', '--at', '2026-12-24T09:00:00Z', '--json']);
    expect(eve.code).toBe(1);
    expect(JSON.parse(eve.stdout)).toEqual([
      expect.objectContaining({
        service: 'web',
        environment: 'staging',
        managed: true,
        decision: expect.objectContaining({ kind: 'wait', hold: 'holiday', until: 'Sat 2026-12-26 00:00 Europe/Berlin', untilMs: Date.parse('2026-12-25T23:00:00Z') }),
      }),
    ]);
  });

  test('a low-risk change is open in the window', async () => {
    const low = await stack.gantry(['policy', 'check', '--service', 'web', '--environment', 'production', '--risk', 'low', '--at', '2026-12-05T12:00:00+01:00']);
    expect({ code: low.code, stdout: low.stdout.trim() }).toEqual({ code: 0, stdout: 'web → production: open at Sat 2026-12-05 12:00 Europe/Berlin (risk low)' });
  });

  test('a proposed catalogue file is checked without a worker; a mistake in it names the field (exit 2)', async () => {
    const file = path.join(stack.dir, 'proposed.yaml');
    writeFileSync(file, (await import('node:fs')).readFileSync(stack.configFile, 'utf8').replace('timeZone: Europe/Berlin', 'timeZone: Europe/Berln'));
    const result = await stack.gantry(['policy', 'check', '--service', 'web', '--file', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/changePolicy\.timeZone: "Europe\/Berln" is not an IANA time zone/);
  });

  test.each([
    ['an instant without a zone', ['--at', '2026-12-04T16:00'], /--at: "2026-12-04T16:00" is not an ISO 8601 instant with a zone/],
    ['a risk that does not exist', ['--risk', 'critical'], /--risk: "critical" is not a risk; use low, medium, high/],
    ['an environment the service does not have', ['--environment', 'prod'], /--environment: web has no environment prod; it has staging, production/],
    ['a service the catalogue does not declare', ['--service', 'nope'], /--service: the platform's catalogue .* does not declare nope/],
  ])('bad input: %s (exit 2)', async (_, extra, message) => {
    const argv = ['policy', 'check', '--service', 'web', ...extra];
    const result = await stack.gantry(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('release start --risk with a risk that does not exist starts nothing (exit 2)', async () => {
    const result = await stack.gantry(['release', 'start', '--service', 'web', '--version', '8.8.8', '--commit', stack.commit, '--author', 'alice', '--risk', 'extreme']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--risk: "extreme" is not a risk; use low, medium, high/);
    await expect(stack.client.workflow.getHandle(releaseWorkflowId('web', '8.8.8')).describe()).rejects.toThrow(WorkflowNotFoundError);
  });
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';
import { awaitStatus } from '../support/await-status';
import { makeSshKey, sshKeygenVerifies } from '../support/ssh-keys';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
/** bob signs his approvals (optional here: the catalogue lists his key, its policy does not require it). */
const bobsKey = makeSshKey('ed25519', 'bob@laptop');
beforeAll(async () => {
  // The platform's change policy: Berlin time, the default production window, Christmas; who may make exceptions.
  stack = await startE2EStack('policy', {
    editConfig: (yaml) =>
      yaml.replace(
        /^services:\n/m,
        `changePolicy:\n  timeZone: Europe/Berlin\n  holidays: [2026-12-25]\nroles:\n  processOwners: [dana]\n  emergencyApprovers: [erin]\nsigners:\n  bob: ["${bobsKey.publicLine}"]\nservices:\n`,
      ),
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

describe('gantry freeze: declared during an incident, with the real CLI', () => {
  test('start, list, a release held by it at staging, end: the release goes on', async () => {
    const started = await stack.gantry(['freeze', 'start', '--as', 'carol', '--reason', 'checkout incident', '--services', 'web']);
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    expect(started.stdout).toMatch(/^Declared F1 {2}web in every environment, declared .* by carol: checkout incident; until ended$/m);
    const second = await stack.gantry(['freeze', 'start', '--as', 'dave', '--reason', 'db failover', '--environments', 'production', '--until', '2099-01-01T00:00:00Z']);
    expect(second.stdout).toMatch(/^Declared F2 .*\n {2}overlaps F1 /m);

    const listed = await stack.gantry(['freeze', 'list', '--json']);
    expect(JSON.parse(listed.stdout).active.map((f: { id: string }) => f.id)).toEqual(['F1', 'F2']);

    const release = await stack.gantry(['release', 'start', '--service', 'web', '--version', '7.0.0', '--commit', stack.commit, '--author', 'alice']);
    expect(release.code).toBe(0);
    const handle = stack.client.workflow.getHandle(releaseWorkflowId('web', '7.0.0'));
    const held = await awaitStatus(handle, (s) => s.hold !== undefined, 120_000);
    expect(held.hold).toMatchObject({ environment: 'staging', reasons: [expect.stringMatching(/^change freeze F1 declared by carol \(checkout incident\) until it is ended$/)] });
    const shown = await stack.gantry(['release', 'status', 'web', '7.0.0']);
    expect(shown.stdout).toMatch(/change freeze F1 declared by carol \(checkout incident\) until it is ended; it may deploy once the freeze is ended/);

    const ended = await stack.gantry(['freeze', 'end', 'F1', '--as', 'carol', '--reason', 'fixed']);
    expect({ code: ended.code, out: ended.stdout }).toEqual({ code: 0, out: expect.stringMatching(/^Ended F1 .*ended .* by carol \(fixed\)/) });
    // The release goes on at once: staging, then its approval; F2 still holds production.
    await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    expect((await stack.gantry(['release', 'approve', 'web', '7.0.0', '--as', 'bob'])).code).toBe(0);
    const atProduction = await awaitStatus(handle, (s) => s.hold?.environment === 'production', 60_000);
    expect(atProduction.environments.staging?.version).toBe('7.0.0');
    expect(atProduction.hold?.reasons).toEqual([expect.stringMatching(/^change freeze F2 declared by dave \(db failover\)/)]);
    expect((await stack.gantry(['freeze', 'end', 'F2', '--as', 'dave'])).code).toBe(0);
    const done = await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
    expect({ outcome: done.outcome, production: done.environments.production?.version }).toEqual({ outcome: 'succeeded', production: '7.0.0' });
  }, 360_000);

  test.each([
    ['no reason', ['freeze', 'start', '--as', 'carol'], /--reason is required/],
    ['an --until in the past', ['freeze', 'start', '--as', 'carol', '--reason', 'x', '--until', '2020-01-01T00:00:00Z'], /--until: 2020-01-01T00:00:00Z is in the past/],
    ['an --until without a zone', ['freeze', 'start', '--as', 'carol', '--reason', 'x', '--until', '2099-01-01T00:00'], /--until: "2099-01-01T00:00" is not an ISO 8601 instant with a zone/],
    ['a freeze that is not in force', ['freeze', 'end', 'F99', '--as', 'carol'], /freeze F99 not ended: no freeze F99 is in force/],
  ])('bad input: %s (exit 2, nothing changes)', async (_, argv, message) => {
    const before = (await stack.gantry(['freeze', 'list', '--json'])).stdout;
    const result = await stack.gantry(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect((await stack.gantry(['freeze', 'list', '--json'])).stdout).toBe(before);
  });
});

describe('gantry release quarantine: a version that must not deploy, with the real CLI', () => {
  test('bad requests exit 2 naming the flag; a quarantine holds a release before staging and is listed; the lift lets it go on', async () => {
    const noReason = await stack.gantry(['release', 'quarantine', 'web', '7.1.0', '--as', 'carol']);
    expect({ code: noReason.code, stderr: noReason.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/web 7\.1\.0 not quarantined:\n {2}--reason is required/) });
    const notQuarantined = await stack.gantry(['release', 'unquarantine', 'web', '7.1.0', '--as', 'carol']);
    expect({ code: notQuarantined.code, stderr: notQuarantined.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/the quarantine of web 7\.1\.0 not lifted: web 7\.1\.0 is not quarantined/) });

    const quarantined = await stack.gantry(['release', 'quarantine', 'web', '7.1.0', '--as', 'carol', '--reason', 'corrupts carts']);
    expect({ code: quarantined.code, stderr: quarantined.stderr }).toEqual({ code: 0, stderr: '' });
    expect(quarantined.stdout).toMatch(/^Quarantined web 7\.1\.0 {2}quarantined .* by carol: corrupts carts; until lifted$/m);
    const again = await stack.gantry(['release', 'quarantine', 'web', '7.1.0', '--as', 'erin', '--reason', 'twice']);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/web 7\.1\.0 is already quarantined by carol since .* \(corrupts carts\)/) });
    const listed = await stack.gantry(['freeze', 'list']);
    expect(listed.stdout).toMatch(/^Quarantined versions:\n {2}web 7\.1\.0 {2}quarantined .* by carol: corrupts carts; until lifted$/m);
    expect(JSON.parse((await stack.gantry(['freeze', 'list', '--json'])).stdout).quarantined).toEqual([expect.objectContaining({ service: 'web', version: '7.1.0', by: 'carol', reason: 'corrupts carts' })]);

    // Low risk: the Berlin windows do not hold it, only the quarantine does.
    const release = await stack.gantry(['release', 'start', '--service', 'web', '--version', '7.1.0', '--commit', stack.commit, '--author', 'alice', '--risk', 'low']);
    expect(release.code).toBe(0);
    const handle = stack.client.workflow.getHandle(releaseWorkflowId('web', '7.1.0'));
    const held = await awaitStatus(handle, (s) => s.hold !== undefined, 120_000);
    expect(held.hold).toMatchObject({ environment: 'staging', untilLocal: 'the quarantine is lifted' });
    const shown = await stack.gantry(['release', 'status', 'web', '7.1.0']);
    expect(shown.stdout).toContain('web 7.1.0 is quarantined by carol (corrupts carts) until it is lifted (gantry release unquarantine web 7.1.0); it may deploy once the quarantine is lifted');

    // Only its author or a process owner lifts it (the catalogue names dana).
    const notTheRole = await stack.gantry(['release', 'unquarantine', 'web', '7.1.0', '--as', 'dave', '--reason', 'carts repaired']);
    expect({ code: notTheRole.code, stderr: notTheRole.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining('dave may not lift the quarantine of web 7.1.0: not its declarer (carol) or a process owner of web (process owners: dana)'),
    });
    const lifted = await stack.gantry(['release', 'unquarantine', 'web', '7.1.0', '--as', 'dana', '--reason', 'carts repaired']);
    expect({ code: lifted.code, stdout: lifted.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^Lifted web 7\.1\.0 {2}quarantined .* by carol: corrupts carts; lifted .* by dana \(carts repaired\)$/m) });
    const atApproval = await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    expect(atApproval.environments.staging?.version).toBe('7.1.0');
    expect(JSON.parse((await stack.gantry(['freeze', 'list', '--json'])).stdout)).toMatchObject({ quarantined: [], lifted: [expect.objectContaining({ version: '7.1.0', lifted: expect.objectContaining({ by: 'dana' }) })] });
    expect((await stack.gantry(['release', 'abort', 'web', '7.1.0', '--as', 'alice', '--reason', 'only checking the quarantine'])).code).toBe(0);
    await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
  }, 360_000);

  test('an older version is refused where a newer one runs; started again with --rollback it goes on, and its status says why', async () => {
    const start = (extra: string[] = []) => stack.gantry(['release', 'start', '--service', 'web', '--version', '6.9.0', '--commit', stack.commit, '--author', 'alice', '--risk', 'low', ...extra]);
    const handle = stack.client.workflow.getHandle(releaseWorkflowId('web', '6.9.0'));
    expect((await start()).code).toBe(0);
    const refused = await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
    expect(refused.outcome).toBe('refused');
    expect(refused.reason).toMatch(/^6\.9\.0 is older than 7\.\d\.0, which runs in staging; start it with --rollback --reason … to roll back$/);

    expect((await start(['--rollback', '--reason', 'the 7 series corrupts carts'])).code).toBe(0);
    await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    const shown = await stack.gantry(['release', 'status', 'web', '6.9.0']);
    expect(shown.stdout).toMatch(/^ {2}rollback the 7 series corrupts carts; replaced 7\.\d\.0 in staging$/m);
    expect((await stack.gantry(['release', 'abort', 'web', '6.9.0', '--as', 'alice', '--reason', 'only checking the rollback'])).code).toBe(0);
    await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
  }, 360_000);

  test('a version released before is released again only as an explicit rollback, over a newer one', async () => {
    const start = (version: string, extra: string[] = []) => stack.gantry(['release', 'start', '--service', 'web', '--version', version, '--commit', stack.commit, '--author', 'alice', '--risk', 'low', ...extra]);
    const newer = stack.client.workflow.getHandle(releaseWorkflowId('web', '7.2.0'));
    expect((await start('7.2.0')).code).toBe(0);
    await awaitStatus(newer, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    expect((await stack.gantry(['release', 'approve', 'web', '7.2.0', '--as', 'bob'])).code).toBe(0);
    expect((await awaitStatus(newer, (s) => s.outcome !== undefined, 120_000)).outcome).toBe('succeeded');

    // 7.0.0 succeeded earlier in this file: the same request again finds that release (a CI retry), and starts nothing.
    const again = await start('7.0.0');
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/\(an earlier run\)/) });
    const rollback = await start('7.0.0', ['--rollback', '--reason', '7.2.0 corrupts carts']);
    expect({ code: rollback.code, stdout: rollback.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^Started release release\/web\/7\.0\.0 /m) });
    const handle = stack.client.workflow.getHandle(releaseWorkflowId('web', '7.0.0'));
    const atApproval = await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    expect(atApproval.rollback).toEqual({ reason: '7.2.0 corrupts carts', replaced: [{ environment: 'staging', version: '7.2.0' }] });
    // A CI retry of the same rollback attaches to it rather than start another.
    expect((await start('7.0.0', ['--rollback', '--reason', '7.2.0 corrupts carts'])).stdout).toMatch(/^Attached to running release release\/web\/7\.0\.0/m);
    expect((await stack.gantry(['release', 'abort', 'web', '7.0.0', '--as', 'alice', '--reason', 'only checking the rollback'])).code).toBe(0);
    await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
  }, 360_000);
});

describe('an emergency release with the real CLI', () => {
  test('held by a freeze until the emergency approver approves it; recorded in its status', async () => {
    const declared = await stack.gantry(['freeze', 'start', '--as', 'carol', '--reason', 'Black Friday', '--environments', 'production', '--json']);
    const freeze = (JSON.parse(declared.stdout) as { freeze: { id: string } }).freeze.id;
    const started = await stack.gantry(['release', 'start', '--service', 'web', '--version', '9.0.0', '--commit', stack.commit, '--author', 'alice', '--emergency', '--reason', 'card payments fail', '--ticket', 'INC-4711']);
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    const handle = stack.client.workflow.getHandle(releaseWorkflowId('web', '9.0.0'));
    await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined, 120_000);
    const signed = await stack.gantry(['release', 'approve', 'web', '9.0.0', '--as', 'bob', '--sign', bobsKey.file]);
    expect({ code: signed.code, stdout: signed.stdout.trim() }).toEqual({ code: 0, stdout: expect.stringMatching(/^approved by bob \(signed with SHA256:\S+\) \(1 of 1\)$/) });
    const held = await awaitStatus(handle, (s) => s.hold?.environment === 'production', 60_000);
    expect(held.hold?.reasons[1]).toMatch(/^an emergency release \(INC-4711\): it passes once an emergency approver approves it/);
    expect((await stack.gantry(['release', 'status', 'web', '9.0.0'])).stdout).toMatch(/emergency INC-4711: card payments fail\n {4}waiting for an emergency approver/);

    const notTheRole = await stack.gantry(['release', 'approve-emergency', 'web', '9.0.0', '--as', 'bob', '--reason', 'ok']);
    expect({ code: notTheRole.code, stderr: notTheRole.stderr.trim() }).toEqual({ code: 2, stderr: 'gantry: refused: bob is not an emergency approver (emergency approvers: erin)' });
    const noReason = await stack.gantry(['release', 'override', 'web', '9.0.0', '--as', 'dana']);
    expect({ code: noReason.code, stderr: noReason.stderr.trim() }).toEqual({ code: 2, stderr: 'gantry: an override needs a reason: add --reason "<why>"' });

    const approved = await stack.gantry(['release', 'approve-emergency', 'web', '9.0.0', '--as', 'erin', '--reason', 'payments are down; the fix is one line']);
    expect({ code: approved.code, stdout: approved.stdout.trim() }).toEqual({ code: 0, stdout: 'emergency of web 9.0.0 (INC-4711) approved by erin: it passes deploy windows, holidays and freezes' });
    const done = await awaitStatus(handle, (s) => s.outcome !== undefined, 120_000);
    expect({ outcome: done.outcome, production: done.environments.production?.version }).toEqual({ outcome: 'succeeded', production: '9.0.0' });
    const shown = await stack.gantry(['release', 'status', 'web', '9.0.0']);
    expect(shown.stdout).toMatch(new RegExp(`exception: emergency by erin at \\S+ passed the gate before production \\(change freeze ${freeze} declared by carol \\(Black Friday\\)[^\\n]*\\): payments are down; the fix is one line`));
    expect((await stack.gantry(['freeze', 'end', freeze, '--as', 'carol'])).code).toBe(0);

    // An auditor checks bob's signed approval with the real ssh-keygen, from the files Gantry writes.
    const out = path.join(stack.dir, 'signatures');
    const written = await stack.gantry(['release', 'signatures', 'web', '9.0.0', '--out', out]);
    expect(written.stdout.trim()).toBe(`ssh-keygen -Y verify -f ${out}/allowed_signers -I bob -n gantry -s ${out}/1-bob.sig < ${out}/1-bob.statement`);
    const statement = done.approvals[0].signed!.statement;
    expect(JSON.parse(statement)).toMatchObject({ action: 'approve', service: 'web', version: '9.0.0', environment: 'production', identity: 'bob', artifact: done.artifact!.digest });
    expect(sshKeygenVerifies(path.join(out, 'allowed_signers'), 'bob', path.join(out, '1-bob.sig'), statement)).toBe(true);
  }, 360_000);

  test.each([
    ['no ticket', ['--emergency', '--reason', 'payments down'], /--ticket: an emergency needs the incident or change ticket/],
    ['no reason', ['--emergency', '--ticket', 'INC-1'], /--reason: an emergency needs a reason/],
    ['a ticket without --emergency', ['--ticket', 'INC-1'], /--ticket: is only read with --emergency/],
  ])('bad input: an emergency start with %s starts nothing (exit 2)', async (_, extra, message) => {
    const result = await stack.gantry(['release', 'start', '--service', 'web', '--version', '8.8.9', '--commit', stack.commit, '--author', 'alice', ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    await expect(stack.client.workflow.getHandle(releaseWorkflowId('web', '8.8.9')).describe()).rejects.toThrow(WorkflowNotFoundError);
  });
});

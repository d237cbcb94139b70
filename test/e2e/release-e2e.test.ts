import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import type { ReleaseStatus } from '../../src/shared/release';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('release');
});
afterAll(async () => {
  await stack?.stop();
});

/** The status document, read through the plain `temporal` CLI. */
async function queryStatus(workflowId: string): Promise<ReleaseStatus> {
  const out = await stack.temporal(['workflow', 'query', '-w', workflowId, '--name', 'status', '-o', 'json']);
  if (out.code !== 0) throw new Error(out.stderr);
  const status = JSON.parse(out.stdout).queryResult[0];
  // The temporal CLI prints empty lists as null.
  for (const list of ['approvals', 'ignored', 'timeline']) status[list] ??= [];
  return status as ReleaseStatus;
}

function startArgs(version: string, extra: string[] = []): string[] {
  return ['release', 'start', '--service', 'web', '--version', version, '--commit', stack.commit, '--author', 'alice', ...extra];
}

describe('a release end to end: real builds, tests, processes and the real CLIs', () => {
  test('gantry release start --wait --json, approved through `temporal workflow update execute`', async () => {
    const version = '3.0.0';
    const workflowId = releaseWorkflowId('web', version);
    const { done } = stack.spawnGantry(startArgs(version, ['--wait', '--json']));

    const waiting = await eventually('the approval stage', async () => {
      const status = await queryStatus(workflowId);
      return status.stage === 'approval' ? status : undefined;
    });
    expect(waiting.environments.staging?.version).toBe(version);
    expect(waiting.timeline.map((t) => t.stage)).toEqual(['admission', 'build', 'test', 'artifact', 'staging', 'approval']);
    // Staging runs the real built artifact: it answers with its own version.
    const staged = await (await fetch(waiting.environments.staging!.url)).json();
    expect(staged).toMatchObject({ service: 'web', version });

    const update = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', 'approve', '--input', '{"by":"bob","comment":"approved from the temporal CLI"}']);
    expect(update.stderr).toBe('');
    expect(update.code).toBe(0);

    const result = await done;
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ workflowId, how: 'started', outcome: 'succeeded' });
    expect(doc.status.approvals).toEqual([expect.objectContaining({ by: 'bob', via: 'update', comment: 'approved from the temporal CLI' })]);
    expect(doc.status.artifact.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const served = await (await fetch(doc.status.environments.production.url)).json();
    expect(served).toMatchObject({ service: 'web', version });

    // Findable by its search attributes, as in the UI.
    const listed = await eventually('the release in visibility', async () => {
      const out = await stack.temporal(['workflow', 'list', '--query', `GantryService="web" AND GantryVersion="${version}" AND GantryStage="done" AND GantryOutcome="succeeded"`, '-o', 'json']);
      const rows = out.stdout.trim() ? JSON.parse(out.stdout) : [];
      return rows.length > 0 ? rows : undefined;
    });
    expect(listed[0].execution.workflowId).toBe(workflowId);

    // A CI retry of the same command finds the finished release and does not release it again.
    const again = await stack.gantry(startArgs(version, ['--wait', '--json']));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ workflowId, how: 'finished', outcome: 'succeeded', runId: doc.runId });
    const retried = await stack.gantry(startArgs(version, ['--retry']));
    expect(retried.code).toBe(2);
    expect(retried.stderr).toMatch(/already released successfully from [0-9a-f]{40}; a released version is never released again/);
    // The same version from another commit is refused at once: versions are immutable.
    const other = stack.commitFiles({ 'NOTES.md': 'a change after the release\n' }, 'A later change');
    const otherCommit = await stack.gantry(['release', 'start', '--service', 'web', '--version', version, '--commit', other, '--author', 'alice']);
    expect(otherCommit.code).toBe(2);
    expect(otherCommit.stderr).toContain(`web ${version} was already released successfully from ${stack.commit}`);

    const status = await stack.gantry(['release', 'status', 'web', version]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/stage {2}done {3}outcome succeeded/);
  });

  test('approved through `temporal workflow signal`; an unauthorised signal is ignored and recorded', async () => {
    const version = '3.1.0';
    const workflowId = releaseWorkflowId('web', version);
    const { done } = stack.spawnGantry(startArgs(version, ['--wait']));
    await eventually('the approval stage', async () => ((await queryStatus(workflowId)).stage === 'approval' ? true : undefined));
    // Someone else follows the same release from another shell.
    const watching = stack.spawnGantry(['release', 'watch', 'web', version]).done;

    const bySelf = await stack.temporal(['workflow', 'signal', '-w', workflowId, '--name', 'approve', '--input', '{"by":"alice"}']);
    expect(bySelf.code).toBe(0);
    const ignored = await eventually('the ignored signal in status', async () => {
      const status = await queryStatus(workflowId);
      return status.ignored.length > 0 ? status : undefined;
    });
    expect(ignored.ignored[0]).toMatchObject({ message: 'approve', by: 'alice', reason: expect.stringMatching(/author of this release/) });
    expect(ignored.stage).toBe('approval');

    // The refusal is spelled out to people using the gantry CLI (an update), and nothing changes.
    const refused = await stack.gantry(['release', 'approve', 'web', version, '--as', 'mallory']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused: mallory is not an approver of this service \(approvers: alice, bob\)/);

    const bySignal = await stack.temporal(['workflow', 'signal', '-w', workflowId, '--name', 'approve', '--input', '{"by":"bob"}']);
    expect(bySignal.code).toBe(0);
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Every stage is reported, even one that passed between two polls.
    for (const stage of ['build', 'test', 'artifact', 'staging', 'approval', 'production']) {
      expect(result.stdout).toMatch(new RegExp(`web 3\\.1\\.0: ${stage}\\b`));
    }
    expect(result.stdout).toMatch(new RegExp(`web ${version.replace(/\./g, '\\.')} succeeded`));

    // gantry release watch followed it to the same end, and exits as --wait does.
    const watched = await watching;
    expect({ code: watched.code, stderr: watched.stderr }).toEqual({ code: 0, stderr: '' });
    expect(watched.stdout).toMatch(/web 3\.1\.0: production\b/);
    expect(watched.stdout.trimEnd().split('\n').pop()).toBe('web 3.1.0 succeeded');
    // Once it has ended there is nothing to follow: the outcome is the answer.
    const after = await stack.gantry(['release', 'watch', 'web', version]);
    expect({ code: after.code, stdout: after.stdout }).toEqual({ code: 0, stdout: 'web 3.1.0 succeeded\n' });
    const none = await stack.gantry(['release', 'watch', 'web', '9.8.7']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no release of web 9\.8\.7 exists/);
  });

  test('a CI retry attaches to the running release; rejected, then retried as a new run and aborted', async () => {
    const version = '3.2.0';
    const first = await stack.gantry(startArgs(version, ['--json']));
    const second = await stack.gantry(startArgs(version, ['--json']));
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    expect(a.how).toBe('started');
    expect(b).toEqual({ workflowId: a.workflowId, runId: a.runId, how: 'attached', admission: a.admission });
    expect(a.admission).toMatchObject({ admitted: true, commit: stack.commit });

    await eventually('the approval stage', async () => ((await queryStatus(a.workflowId)).stage === 'approval' ? true : undefined));
    const noReason = await stack.gantry(['release', 'reject', 'web', version, '--as', 'bob']);
    expect(noReason.code).toBe(2);
    const rejected = await stack.gantry(['release', 'reject', 'web', version, '--as', 'bob', '--reason', 'needs a migration first']);
    expect(rejected.code).toBe(0);
    // The rejection is answered at once; the release then puts staging back and closes.
    // A start while it closes attaches to it; once closed, the start finds it finished.
    await eventually('the rejected release to close', async () => ((await stack.client.workflow.getHandle(a.workflowId).describe()).closeTime ? true : undefined));

    const after = await stack.gantry(startArgs(version, ['--wait', '--json']));
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ how: 'finished', outcome: 'rejected', reason: 'rejected by bob: needs a migration first' });

    const retry = await stack.gantry(startArgs(version, ['--retry', '--json']));
    expect(retry.code).toBe(0);
    const retried = JSON.parse(retry.stdout);
    expect(retried).toMatchObject({ workflowId: a.workflowId, how: 'started' });
    expect(retried.runId).not.toBe(a.runId);

    await eventually('the retried release to run', async () => ((await queryStatus(a.workflowId)).timeline.length > 0 ? true : undefined));
    const abort = await stack.gantry(['release', 'abort', 'web', version, '--as', 'carol', '--reason', 'superseded by 3.2.1']);
    expect(abort.code).toBe(0);
    // The answer comes once the abort has taken effect: staging is put back by then.
    expect(abort.stdout).toMatch(/aborted by carol: superseded by 3\.2\.1; every environment it touched is as it was before/);
    await eventually('the aborted release to end', async () => ((await stack.client.workflow.getHandle(a.workflowId).describe()).status.name === 'RUNNING' ? undefined : true));
    const ended = await stack.gantry(startArgs(version, ['--json']));
    expect(ended.code).toBe(1);
    expect(JSON.parse(ended.stdout)).toMatchObject({ how: 'finished', outcome: 'aborted', reason: 'aborted by carol: superseded by 3.2.1' });

    const listed = await stack.gantry(['release', 'list', '--service', 'web', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((r: { version: string }) => r.version)).toEqual(expect.arrayContaining(['3.0.0', '3.1.0', '3.2.0']));
  });
});

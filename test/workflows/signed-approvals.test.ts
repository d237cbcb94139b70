import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { signApproval, writeSignedApprovals } from '../../src/cli/sign-decision';
import { type ApprovePayload, approveUpdate, statusQuery } from '../../src/shared/messages';
import { releaseWorkflow } from '../../src/workflows/release';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { makeSshKey, sshKeygenVerifies } from '../support/ssh-keys';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const refusal = (message: RegExp) => ({ cause: { message: expect.stringMatching(message) } });

describe('signed approvals (time-skipping server, real ssh-keygen)', () => {
  test('a policy that requires signatures takes only a fresh statement about this release signed by one of the approver’s keys; ssh-keygen verifies what the record keeps', async () => {
    const bob = { ed25519: makeSshKey('ed25519', 'bob@laptop'), rsa: makeSshKey('rsa', 'bob@desktop') };
    const carol = makeSshKey('ed25519', 'carol@laptop');
    await withReleaseWorker(env, fakeDelivery(), async (taskQueue) => {
      const input = releaseInput({
        version: '5.0.0',
        approval: { approvers: ['bob', 'carol'], minApprovals: 2, require: { signature: true }, timeout: '1d' },
        signers: { bob: [bob.ed25519.publicLine, bob.rsa.publicLine], carol: [carol.publicLine] },
      });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const status = await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
      const now = await env.currentTimeMs();
      const approve = (payload: ApprovePayload) => handle.executeUpdate(approveUpdate, { args: [payload] });

      await expect(approve({ by: 'bob' })).rejects.toMatchObject(refusal(/requires signed approvals: approve with --sign/));
      // Signed by carol's key but claiming to be bob.
      await expect(approve({ by: 'bob', signature: signApproval(status, 'bob', carol.file, now) })).rejects.toMatchObject(refusal(/signature refused: the signature was made by key SHA256:\S+, which is not one of the signer's keys/));
      // A statement about another version, or made too long ago, is not this approval.
      await expect(approve({ by: 'bob', signature: signApproval({ ...status, version: '5.0.1' }, 'bob', bob.ed25519.file, now) })).rejects.toMatchObject(refusal(/signed statement is for version "5.0.1", not "5.0.0"/));
      await expect(approve({ by: 'bob', signature: signApproval(status, 'bob', bob.ed25519.file, now - 20 * 60_000) })).rejects.toMatchObject(refusal(/signed statement expired/));
      const forged = signApproval(status, 'bob', bob.ed25519.file, now);
      await expect(approve({ by: 'bob', signature: { ...forged, statement: forged.statement.replace(status.artifact!.digest, `sha256:${'0'.repeat(64)}`) } })).rejects.toMatchObject(
        refusal(/signed statement is for artifact/),
      );

      const first = await approve({ by: 'bob', comment: 'diff read', signature: signApproval(status, 'bob', bob.rsa.file, now) });
      expect(first.message).toMatch(/^approved by bob \(signed with SHA256:\S+\) \(1 of 2\)$/);
      await approve({ by: 'carol', signature: signApproval(status, 'carol', carol.file, await env.currentTimeMs()) });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.approvals.map((a) => [a.by, a.signed?.fingerprint.startsWith('SHA256:')])).toEqual([
        ['bob', true],
        ['carol', true],
      ]);

      // An auditor checks the record with the real ssh-keygen, without trusting Gantry.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-audit-signatures-'));
      const commands = writeSignedApprovals(await handle.query(statusQuery), dir);
      expect(commands).toHaveLength(2);
      for (const [index, who] of ['bob', 'carol'].entries()) {
        const base = path.join(dir, `${index + 1}-${who}`);
        const statement = result.status!.approvals[index].signed!.statement;
        expect(sshKeygenVerifies(path.join(dir, 'allowed_signers'), who, `${base}.sig`, statement)).toBe(true);
        expect(sshKeygenVerifies(path.join(dir, 'allowed_signers'), who === 'bob' ? 'carol' : 'bob', `${base}.sig`, statement)).toBe(false);
      }
    });
  });
});

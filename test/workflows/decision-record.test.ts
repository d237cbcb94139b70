import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { applyReleaseEvent } from '../../src/policy/release-projection';
import { applyRolloutEvent } from '../../src/policy/rollout-projection';
import { decisionsQuery, type Recorded, type ReleaseEvent, type RolloutEvent } from '../../src/shared/decision-events';
import { approveSignal, approveUpdate } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { type RolloutStatus, rolloutWorkflowId } from '../../src/shared/rollout';
import { GantryOutcome, GantryStage } from '../../src/shared/search-attributes';
import { releaseWorkflow } from '../../src/workflows/release';
import { CollectingAuditSink } from '../support/audit-collector';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
import { failing, healthy } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario } from '../support/rollout-scenario';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const uiDetails = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';

/** A release's status as it starts, before any decision. */
function initialReleaseStatus(s: ReleaseStatus): ReleaseStatus {
  const { workflowId, service, version, commit, author } = s;
  return { workflowId, service, version, commit, author, stage: 'admission', environments: {}, approvals: [], approvalsRequired: 0, approvers: [], ignored: [], timeline: [] };
}

/** What is not a decision (what it waits for, its rollout's last report) is left out of the comparison. */
function decisionsOf(s: ReleaseStatus): Partial<ReleaseStatus> {
  const { waitingFor: _waiting, rollout: _rollout, ...rest } = s;
  return JSON.parse(JSON.stringify(rest));
}

describe('one record of every decision (time-skipping server)', () => {
  test("a release's status, search attributes, UI details and audit all follow from its one record", async () => {
    const audit = new CollectingAuditSink();
    const world = fakeDelivery();
    await withReleaseWorker(
      env,
      world,
      async (taskQueue) => {
        const input = releaseInput({ version: '5.0.0' });
        const workflowId = `release/web/${input.version}`;
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [input] });
        await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
        // Refused three ways: a signal (kept in the status), an update (answered, and audited).
        await handle.signal(approveSignal, { by: 'alice' }); // the author
        await expect(handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] })).rejects.toThrow(WorkflowUpdateFailedError);
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'looks good' }] });
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        const status = result.status!;

        // What the run recorded, as the audit heard it live (the time-skipping server may
        // stamp a later replay, which answers queries of a closed workflow, a few ms off).
        const audited = audit.of(workflowId);
        const events = audited.filter((e) => e.seq > 0) as Recorded<ReleaseEvent>[];
        const queried = await handle.query(decisionsQuery);
        expect(queried.map((e) => [e.seq, e.kind])).toEqual(events.map((e) => [e.seq, e.kind]));
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(events.every((e) => e.workflowId === workflowId && !Number.isNaN(Date.parse(e.at)))).toBe(true);
        // Every transition, in the order of the timeline.
        expect(events.filter((e) => e.kind === 'stage_entered').map((e) => e.kind === 'stage_entered' && e.stage)).toEqual(
          status.timeline.filter((t) => t.stage !== 'done').map((t) => t.stage),
        );
        expect(events).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ kind: 'admitted' }),
            expect.objectContaining({ kind: 'message', message: 'approve', by: 'alice', via: 'signal', result: 'refused', refusal: expect.stringMatching(/author/) }),
            expect.objectContaining({ kind: 'message', message: 'approve', by: 'bob', reason: 'looks good', via: 'update', result: 'accepted' }),
            expect.objectContaining({ kind: 'artifact_published', artifact: expect.objectContaining({ version: '5.0.0' }) }),
            expect.objectContaining({ kind: 'deployed', environment: 'staging', version: '5.0.0' }),
            expect.objectContaining({ kind: 'deployed', environment: 'production', version: '5.0.0' }),
          ]),
        );
        expect(events[events.length - 1]).toMatchObject({ kind: 'finished', outcome: 'succeeded' });

        // The status is the fold of the record: nothing else wrote a decision into it.
        const folded = initialReleaseStatus(status);
        for (const event of events) applyReleaseEvent(folded, event);
        expect(decisionsOf(folded)).toEqual(decisionsOf(status));

        // The refused update is audited besides, unnumbered: it is not part of the workflow's record.
        expect(audited.filter((e) => e.seq === 0)).toEqual([
          expect.objectContaining({ kind: 'message', message: 'approve', by: 'mallory', via: 'update', result: 'refused', refusal: expect.stringMatching(/mallory/) }),
        ]);
        expect(audit.entries.find((e) => e.event.workflowId === workflowId)?.origin).toMatchObject({ workflowType: 'releaseWorkflow' });

        // The search attributes and the UI say the same.
        const { searchAttributes } = await handle.describe().then((d) => ({ searchAttributes: d.typedSearchAttributes }));
        expect(searchAttributes.get(GantryStage)).toBe('done');
        expect(searchAttributes.get(GantryOutcome)).toBe('succeeded');
        expect(await uiDetails(workflowId)).toMatch(/Stage: \*\*done\*\* — outcome \*\*succeeded\*\*[\s\S]*Approvals: 1\/1 \(bob\)/);
      },
      undefined,
      { audit },
    );
  });

  test("a rollout's analyses are recorded with their measurements and what the policy made of them, through to its rollback", async () => {
    const audit = new CollectingAuditSink();
    const { service, within } = rolloutScenario(env, 'recorded', '1.0.0', (version) => (version === '1.0.0' ? healthy() : failing(0.2)));
    await within(
      async (taskQueue) => {
        const input = releaseInput({
          service,
          version: '2.0.0',
          approval: { approvers: [], minApprovals: 0 },
          production: { strategy: 'canary', canary: { steps: [{ weight: 5, soak: '10m' }, { weight: 100 }], interval: '1m' } },
        });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('rolled_back');

        const rolloutId = rolloutWorkflowId(service, 'production', '2.0.0');
        const events = audit.of(rolloutId) as Recorded<RolloutEvent>[];
        const queried = await env.client.workflow.getHandle(rolloutId).query(decisionsQuery);
        expect(queried.map((e) => [e.seq, e.kind])).toEqual(events.map((e) => [e.seq, e.kind]));
        const analyses = events.filter((e) => e.kind === 'analysis');
        expect(analyses).toHaveLength(2);
        for (const analysis of analyses) {
          expect(analysis).toMatchObject({
            weight: 5,
            verdict: 'fail',
            measurements: { candidate: { kind: 'value', errorRate: 0.2 }, baseline: { kind: 'value', errorRate: 0 } },
            checks: expect.arrayContaining([expect.objectContaining({ metric: 'errorRate', value: 0.2, verdict: 'fail' })]),
          });
        }
        expect(analyses.map((a) => a.kind === 'analysis' && a.decision)).toEqual(['continue', 'rollback']);
        expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['stable_found', 'traffic', 'rolling_back', 'rolled_back']));
        expect(events[events.length - 1]).toMatchObject({ kind: 'rolled_back', reason: expect.stringMatching(/error rate 20/) });

        // The rollout's status is the fold of its record too (soak progress and report numbers aside).
        const status = result.status!.rollout!;
        const folded: RolloutStatus = { strategy: 'canary', phase: 'starting', canaryVersion: '2.0.0', weights: { stable: 100, canary: 0 }, steps: status.steps, analyses: [], decisions: [] };
        for (const event of events) applyRolloutEvent(folded, event);
        const { revision: _r, soak: _s, nextCheckAt: _n, ...decided } = status;
        expect(JSON.parse(JSON.stringify(folded))).toEqual(JSON.parse(JSON.stringify(decided)));
      },
      { audit },
    );
  });
});

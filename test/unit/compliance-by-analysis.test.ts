import type { ServiceConfig } from '../../src/config/service-catalogue';
import type { AuditEntry } from '../../src/providers/audit/audit-store';
import { complianceReport } from '../../src/review/compliance';
import { releaseTrails } from '../../src/review/release-trail';
import type { Recorded } from '../../src/shared/decision-events';

/** A release recorded as the workflow records it: admitted, then these events, one a minute. */
function release(version: string, byAnalysis: boolean, events: Record<string, unknown>[]): AuditEntry[] {
  const definition = {
    environments: { staging: { strategy: 'canary' }, production: {} },
    approval: { approvers: ['bob'], minApprovals: 1, requiredGroups: [], byAnalysis },
  } as unknown as ServiceConfig; // only what the trail and the compliance read
  const admitted = { kind: 'admitted', definition, catalogue: { digest: 'sha256:0', source: 'gantry.yaml' }, source: { repository: 'r', directory: '.', requested: 'main', commit: 'c'.repeat(40), committedAt: '2026-11-02T08:00:00.000Z' } };
  return [admitted, ...events, { kind: 'stage_entered', stage: 'production' }, { kind: 'finished', outcome: 'succeeded' }].map((event, i) => ({
    position: i + 1,
    key: `${version}-${i}`,
    release: `release/web/${version}`,
    namespace: 'default',
    workflowType: 'releaseWorkflow',
    runId: `run-${version}`,
    event: { ...event, seq: i + 1, at: `2026-11-02T09:0${i}:00.000Z`, workflowId: `release/web/${version}` } as unknown as Recorded,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  })) as unknown as AuditEntry[]; // the chain's hashes play no part in the compliance
}

const judged = { kind: 'approved_by_analysis', environment: 'staging', reason: 'the statistical judge passed all 4 scored checks of the rollout in staging (lowest score 100)' };

test('an approval the judge gave where the policy lets it is no finding; where it does not, or without one, the release is listed', () => {
  const trails = releaseTrails([...release('1.0.0', true, [judged]), ...release('1.1.0', false, [judged]), ...release('1.2.0', true, [])]);
  const report = complianceReport(trails, [], new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'));
  expect(report.withoutRequiredApprovals.map((r) => r.release)).toEqual(['release/web/1.1.0', 'release/web/1.2.0']);
});

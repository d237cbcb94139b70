import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { auditSinks } from '../../src/worker/audit-sinks';
import { CollectingAuditSink } from '../support/audit-collector';
import { gantryWorkflowBundle } from '../support/time-skipping';

const audit = new CollectingAuditSink();

Runtime.install({ logger: new DefaultLogger('ERROR') });

const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

/**
 * Histories recorded from real runs (scripts/record-histories.js) must replay against
 * today's workflow code: a change that would break running releases fails here.
 */
describe('recorded histories replay against the current workflow code', () => {
  test('there are histories of every release ending, of both rollouts, of a committed promotion refusing late steering, of a canary rollback, of the environment lock, of admission by the platform, of work placed on worker hosts, of the guards on what may progress, of decisions stored through the outbox, of the calendar checking roles, and of a quarterly review', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'release-succeeded.json',
        'release-rejected.json',
        'release-aborted.json',
        'lock-web-staging.json',
        'canary-release.json',
        'canary-rollout.json',
        'blueGreen-release.json',
        'blueGreen-rollout.json',
        'canary-committed-release.json',
        'canary-committed-rollout.json',
        'canary-rolled-back-release.json',
        'canary-rolled-back-rollout.json',
        // Since the platform admits releases: one admitted and shipped, one refused.
        'admitted-release-succeeded.json',
        'admitted-release-refused.json',
        // Since environments are entities: a release taking its turns on them, and an entity.
        'entities-release-succeeded.json',
        'environment-web-staging.json',
        // Since machine-local work goes to its host: both rollouts on a worker host's queue, and an entity placing its environment.
        'canary-hosts-release.json',
        'canary-hosts-rollout.json',
        'blueGreen-hosts-release.json',
        'blueGreen-hosts-rollout.json',
        'environment-hosts-canary-web-production.json',
        // Since the guards on what may progress: a release held by a quarantine then a soak, a downgrade refused, a rollback, and the calendar.
        'guards-release-quarantined-soaked.json',
        'guards-release-downgrade-refused.json',
        'guards-release-rollback.json',
        'calendar-record.json',
        // Since notifications: a release told by its worker of a webhook that failed, while it waited for approval.
        'notified-release-succeeded.json',
        // Since decisions go to the audit store through each workflow's outbox: a release, its canary, an entity.
        'audited-release-succeeded.json',
        'canary-audited-rollout.json',
        'environment-audited-web-production.json',
        // Since the change calendar checks roles: refusals recorded, a freeze and a quarantine made and undone.
        'calendar-roles.json',
        // Since the quarterly review: one run writing its report.
        'review-quarter.json',
      ]),
    );
  });

  test.each(files)('%s', async (file) => {
    const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
    // The file name says what it holds: lock-…, environment-…, calendar-…, review-…, <strategy>[-scenario]-rollout, or a release.
    const workflowType = file.startsWith('lock-')
      ? 'environmentLockWorkflow'
      : file.startsWith('environment-')
        ? 'environmentWorkflow'
        : file.startsWith('calendar-')
          ? 'changeCalendarWorkflow'
          : file.startsWith('review-')
            ? 'quarterlyReviewWorkflow'
            : file.endsWith('-rollout.json')
              ? `${file.split('-')[0]}RolloutWorkflow`
              : 'releaseWorkflow';
    await expect(
      Worker.runReplayHistory({ workflowBundle: await gantryWorkflowBundle(), sinks: auditSinks(audit) }, history, `replay-${file}`),
    ).resolves.toBeUndefined();
    // A replay re-derives the status from the recorded decisions; the audit heard of them once, when they happened.
    expect(audit.entries).toEqual([]);
    expect(history.events[0].workflowExecutionStartedEventAttributes.workflowType.name).toBe(workflowType);
  });
});

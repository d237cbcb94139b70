import { ActivityFailure, ApplicationFailure, CancellationScope, condition, log, sleep } from '@temporalio/workflow';
import { approvalsSatisfied } from '../policy/approval';
import { environmentPlan } from '../policy/environment-plan';
import { contractApprovalsRequired } from '../policy/migration-contract';
import { FAILURE_TYPE } from '../policy/outcome';
import { migrationApprover } from '../policy/schema-release';
import type { ReleaseChange } from '../shared/release';
import type { ActivityStubs } from './activity-stubs';
import { activitiesOnce } from './host-activities';
import { approvalWaitText } from './release-messages';
import { environmentActivities } from './release-hosts';
import type { ReleaseState } from './release-state';

/** How long a release waits before asking a database that did not answer (or was busy) again. */
const DATABASE_RETRY_INTERVAL = '15 seconds';

/** Failures that pass by themselves: the release waits and says so, then tries again. */
const WAIT_FOR_DATABASE = ['MigrationDatabaseUnreachable', 'MigrationBusy'];

/** The release's change, when it carries migrations to apply (a schema release, or a first release with both). */
export function migrationsToApply(release: ReleaseState): ReleaseChange | undefined {
  const change = release.status.change;
  return change && (change.kind === 'schema' || change.kind === 'first') ? change : undefined;
}

/**
 * A schema release: no build, test, artifact or deploy. Environment by environment in
 * the service's order, behind the same approval gates, change windows and turns as a
 * code release, it applies the migrations to that environment's database. The first
 * failure stops the release there, so later environments are never touched.
 */
export async function runSchemaRelease(
  release: ReleaseState,
  steps: {
    awaitApproval: (release: ReleaseState) => Promise<void>;
    beforeEnvironment: (release: ReleaseState, environment: string) => Promise<void>;
    withTurn: (release: ReleaseState, environment: string, work: () => Promise<void>) => Promise<void>;
  },
): Promise<void> {
  // Only admissions since contract steps were admitted carry `contract`: older histories never reach this.
  if (migrationsToApply(release)?.contract?.length) await awaitContractApproval(release);
  for (const { name, approvalFirst } of environmentPlan(release.config.environments)) {
    if (approvalFirst) await steps.awaitApproval(release);
    await steps.beforeEnvironment(release, name);
    release.enter(name, 'migrations');
    await steps.withTurn(release, name, () => migrateEnvironment(release, name));
  }
}

/**
 * A contract step removes what older versions read and cannot be undone by a rollback,
 * so before the first environment the release waits for one more approval than the
 * policy's minimum (src/policy/migration-contract.ts says why more people rather than
 * another role), from the policy's approvers, within its timeout. The approvals count
 * for the later gates too: the people who accepted the contract saw the whole release.
 */
async function awaitContractApproval(release: ReleaseState): Promise<void> {
  const change = migrationsToApply(release)!;
  const policy = release.approvalPolicy();
  const required = contractApprovalsRequired(policy.minApprovals);
  const migrations = (change.contract ?? []).map((step) => step.file);
  release.record({ kind: 'contract_approval_opened', migrations, required, deadline: new Date(Date.now() + policy.timeout).toISOString() });
  release.enter('approval', `contract step ${migrations.join(', ')}: ${required} approvals, one more than the policy's ${policy.minApprovals}, before the first environment`);
  const enough = () => approvalsSatisfied({ ...policy, minApprovals: required }, release.status.approvals);
  release.waitFor(`the contract step's approvals: ${approvalWaitText(release)}`);
  const decided = await condition(() => enough() || release.status.rejection !== undefined, policy.timeout);
  release.waitFor(undefined);
  const rejection = release.status.rejection;
  if (rejection) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.rejected, message: `rejected by ${rejection.by}: ${rejection.reason}`, nonRetryable: true });
  }
  if (!decided) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPE.expired,
      message: `no decision on the contract step ${migrations.join(', ')} within the approval timeout (${release.status.approvals.length} of ${required} approvals by ${release.status.approvalDeadline})`,
      nonRetryable: true,
    });
  }
  release.record({ kind: 'contract_approved', by: [...new Set(release.status.approvals.map((a) => a.by))] });
}

/**
 * Applies the release's migrations to one environment's database, on the host the
 * environment runs on (its worker holds the database's URL). Call it holding the
 * environment's turn. Each migration applied is recorded with its file, checksum, who
 * approved it and how long it took; a database that does not answer is waited for.
 */
export async function migrateEnvironment(release: ReleaseState, environment: string): Promise<void> {
  const change = migrationsToApply(release);
  if (!change) return;
  const stubs = await environmentActivities(release, environment);
  const { workspaceDir, remove } = await checkoutFor(release, environment, stubs);
  try {
    const { service, author, startedBy } = release.input;
    const approvedBy = migrationApprover(release.status.approvals, startedBy ?? author);
    for (;;) {
      release.waitFor(`${environment}'s database to apply ${change.migrations.length === 1 ? change.migrations[0] : `${change.migrations.length} migrations`}`);
      try {
        const result = await stubs.migrating.applyMigrations({
          service,
          environment,
          workspaceDir,
          migrationsDir: release.config.migrations?.directory ?? change.folder,
          databaseEnv: change.databases[environment],
          approvedBy,
          lockTimeoutMs: change.lockTimeoutMs,
          statementTimeoutMs: change.statementTimeoutMs,
        });
        release.waitFor(undefined);
        for (const applied of result.applied) {
          release.record({ kind: 'migration_applied', environment, file: applied.file, checksum: applied.checksum, approvedBy: applied.approvedBy, durationMs: applied.durationMs });
        }
        if (result.applied.length === 0) release.record({ kind: 'migrations_current', environment, alreadyApplied: result.alreadyApplied.length });
        return;
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : undefined;
        if (!(cause instanceof ApplicationFailure) || !WAIT_FOR_DATABASE.includes(cause.type ?? '')) throw err;
        release.waitFor(`${environment}'s database (${cause.message}); asking again every ${DATABASE_RETRY_INTERVAL}`);
        await sleep(DATABASE_RETRY_INTERVAL);
      }
    }
  } finally {
    await remove();
  }
}

/**
 * The migrations are read from a checkout of the release's commit on the environment's
 * host: the release's own when that host made it, otherwise one made there for the
 * migrations and removed after them.
 */
async function checkoutFor(release: ReleaseState, environment: string, stubs: ActivityStubs): Promise<{ workspaceDir: string; remove: () => Promise<void> }> {
  const here = release.hosts.environments[environment];
  const own = release.hosts.workspace;
  const source = release.status.source;
  if (!here || !own || here.host === own.host || !source || !release.workspaceRoot) {
    return { workspaceDir: release.commandDir, remove: async () => undefined };
  }
  const workspace = `${release.workspaceRoot}/migrations-${environment}`;
  const checkout = await stubs.sourcing.prepareWorkspace({ workspace, source });
  return {
    workspaceDir: checkout.dir,
    remove: () =>
      CancellationScope.nonCancellable(async () => {
        try {
          await activitiesOnce(here).sourcing.removeWorkspace({ workspace });
        } catch (err) {
          // A leftover folder costs disk, not correctness.
          log.warn('could not remove the checkout made for migrations', { workspace, error: (err as Error).message });
        }
      }),
  };
}

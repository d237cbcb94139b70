import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import pg from 'pg';
import { ConfigError } from '../config/config-error';
import { migrationsFolderInRepository } from '../config/migrations-settings';
import type { ServiceConfig } from '../config/service-catalogue';
import type { ArtifactStore } from '../providers/artifacts/artifact-store';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { classifyDatabaseError, describeDatabaseError } from '../providers/migrations/database-error';
import { readAppliedMigrations } from '../providers/migrations/gantry-migrations-table';
import { RepositoryUnreachableError, UnknownCommitError, type GitRepositories } from '../providers/source/git-repositories';
import { runGit } from '../providers/source/run-git';
import { environmentPlan } from '../policy/environment-plan';
import { eligibleApprovers } from '../policy/approval';
import { approvalPolicyOf } from '../policy/approval-rules';
import { type ContractEnvironment, checkContractStep, contractApprovalsRequired } from '../policy/migration-contract';
import { type ContractMarker, readContractMarker } from '../policy/migration-contract-marker';
import { orderMigrationFiles } from '../policy/migration-files';
import { type MigrationFinding, checkMigration } from '../policy/migration-rules';
import { checkReleaseRequest } from '../policy/release-request';
import { type ChangedFiles, classifyChange, mixedChangeRefusal, shippedAlready, splitChangedFiles } from '../policy/schema-release';
import { type EnvironmentRecord, environmentQuery, environmentWorkflowId } from '../shared/environment';
import { statusQuery } from '../shared/messages';
import type { Admission, ContractStep, ReleaseChange, ReleaseRequest } from '../shared/release';
import { heartbeatWhile } from './heartbeat-while';
import { databaseEnvName } from './migrations';

/** A refusal retrying cannot change: the starter must fix the request, the catalogue or the commit. */
function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'AdmissionRefused', nonRetryable: true, message });
}

/**
 * Admission: the platform's catalogue (held by the worker, never sent by the starter)
 * decides the rules a release gets, and the service's repository decides which commit
 * it builds. The snapshot returned is the release's for its whole life.
 */
export interface AdmissionDeps {
  catalogue: PlatformCatalogue;
  repositories: GitRepositories;
  /** To read what runs in an environment (its entity) and which commit built it (its provenance). */
  client?: Client;
  artifacts?: ArtifactStore;
  /** Where the checkout that classifies a release's change is made (and removed). */
  workspacesRoot?: string;
  /** The worker's environment, where database URLs are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export function createAdmissionActivities(deps: AdmissionDeps) {
  return {
    async admitRelease(request: ReleaseRequest): Promise<Admission> {
      const problems = checkReleaseRequest(request);
      if (problems.length > 0) throw refuse(problems.map((p) => `${p.field} ${p.message}`).join('; '));

      const signal = Context.current().cancellationSignal;
      const state = await deps.catalogue.refresh(signal);
      const inForce = state.inForce;
      if (!inForce) {
        throw refuse(`the platform's catalogue could not be loaded, so no release is admitted: ${state.lastError?.message ?? 'not loaded yet'}`);
      }
      let service;
      try {
        service = inForce.catalogue.service(request.service);
      } catch (err) {
        if (err instanceof ConfigError) throw refuse(`the platform's catalogue (${inForce.location}, ${inForce.digest}) does not know the service: ${err.message}`);
        throw err;
      }

      try {
        const resolved = await heartbeatWhile(
          `resolving ${request.commit} in ${service.repository}`,
          deps.repositories.resolveCommit(service.repository, request.commit, signal),
        );
        const change = service.config.migrations
          ? await heartbeatWhile(
              `comparing ${resolved.commit.slice(0, 12)} with what runs in ${request.service}'s first environment`,
              classifyRelease(deps, { request, config: service.config, repository: service.repository, directory: service.directory, commit: resolved.commit }, signal),
            )
          : undefined;
        return {
          config: service.config,
          catalogue: { digest: inForce.digest, source: inForce.location, ...(inForce.revision ? { revision: inForce.revision } : {}) },
          source: {
            repository: service.repository,
            directory: service.directory,
            requested: request.commit,
            commit: resolved.commit,
            committedAt: resolved.committedAt,
          },
          ...(change ? { change } : {}),
        };
      } catch (err) {
        if (err instanceof UnknownCommitError) throw refuse(err.message);
        // Retried a few times (a network blip is not a verdict); the release is refused after that.
        if (err instanceof RepositoryUnreachableError) throw ApplicationFailure.create({ type: 'RepositoryUnreachable', message: err.message });
        throw err;
      }
    },
  };
}

interface Candidate {
  request: ReleaseRequest;
  config: ServiceConfig;
  repository: string;
  directory: string;
  /** The full commit the release builds. */
  commit: string;
}

const GIT_TIMEOUT_MS = 60_000;

/**
 * What the release's commit changes since the version running in the service's first
 * environment (src/policy/schema-release.ts decides what that makes it). Works in a
 * checkout of its own, removed at the end: the release's own checkout comes after
 * admission, on the host that builds it. A schema release, or a first release with
 * both, must also pass the migration rules (`gantry migrations check`).
 */
async function classifyRelease(deps: AdmissionDeps, candidate: Candidate, signal: AbortSignal): Promise<ReleaseChange> {
  const { config, request } = candidate;
  const migrations = config.migrations!;
  const folder = migrationsFolderInRepository(candidate.directory, migrations.directory);
  const environments = environmentPlan(config.environments).map((e) => e.name);
  const databases = Object.fromEntries(environments.map((name) => [name, config.environments[name].database?.env ?? databaseEnvName(request.service, name)]));
  const first = environments[0];
  const base = await runningBase(deps, request.service, first);

  const root = deps.workspacesRoot ?? path.join(process.cwd(), '.gantry-admission');
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, 'admission-'));
  try {
    await deps.repositories.checkout(candidate.repository, candidate.commit, dir, signal);
    const changed = splitChangedFiles(await changedFiles(dir, base?.commit, candidate.commit, signal), candidate.directory, folder);
    const verdict = classifyChange(changed, base);
    let kind: ReleaseChange['kind'];
    if (verdict.verdict === 'ask-database') {
      const checksums = await fileChecksums(path.join(dir, folder), changed.migrations);
      const applied = await appliedChecksums(deps.env ?? process.env, databases[first], request.service, first);
      if (!shippedAlready(checksums, applied)) {
        // Named: the migrations no schema release applied yet (those it did are not the problem).
        const unshipped = changed.migrations.filter((file) => !shippedAlready({ [file]: checksums[file] }, applied));
        throw refuse(mixedChangeRefusal({ service: request.service, version: request.version, folder, changed: { ...changed, migrations: unshipped }, base: base!, environment: first }));
      }
      kind = 'code';
    } else {
      kind = verdict.verdict;
    }
    let contract: ContractStep[] = [];
    if (kind === 'schema' || kind === 'first') {
      const rules = await readMigrationRules(path.join(dir, folder), changed);
      const judged = rules.contracts.length > 0 ? await judgeContractSteps(deps, candidate, environments, rules.contracts) : { steps: [], refusals: [] };
      refuseMigrations(folder, rules.problems, judged.refusals);
      contract = judged.steps;
    }
    return {
      kind,
      ...(base ? { base } : {}),
      folder,
      migrations: changed.migrations,
      otherFiles: changed.other.length,
      databases,
      lockTimeoutMs: migrations.lockTimeout,
      statementTimeoutMs: migrations.statementTimeout,
      ...(contract.length > 0 ? { contract } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The version running in the environment and the commit it was built from, as its
 * artifact's provenance records it (or, failing that, its release's status); none when
 * nothing ran there yet.
 */
async function runningBase(deps: AdmissionDeps, service: string, environment: string): Promise<{ commit: string; version: string } | undefined> {
  if (!deps.client) return undefined;
  const current = (await readEnvironmentRecord(deps, service, environment))?.current;
  if (!current) return undefined;
  const statement = await deps.artifacts?.readProvenance(service, current.version);
  const fromProvenance = statement?.predicate.buildDefinition.resolvedDependencies[0]?.digest.gitCommit;
  if (fromProvenance) return { commit: fromProvenance, version: current.version };
  try {
    const status = await deps.client.workflow.getHandle(current.release).query(statusQuery);
    if (status.source?.commit) return { commit: status.source.commit, version: current.version };
  } catch {
    // The release's history is gone (retention): its commit cannot be known.
  }
  throw refuse(
    `cannot tell which commit ${service} ${current.version} (running in ${environment}) was built from: it has no provenance and its release is gone; ` +
      'release a version that changes no migrations first, so a later schema release has a commit to compare with',
  );
}

/** Paths (inside the repository) the commit changes since `base`, or every file of the commit when nothing ran yet. */
async function changedFiles(dir: string, base: string | undefined, commit: string, signal: AbortSignal): Promise<string[]> {
  const git = (args: string[]) => runGit(['-C', dir, ...args], { timeoutMs: GIT_TIMEOUT_MS, signal });
  let out;
  if (!base) {
    out = await git(['ls-tree', '-r', '-z', '--name-only', commit]);
  } else {
    try {
      out = await git(['diff', '--no-renames', '--name-only', '-z', base, commit, '--']);
    } catch (err) {
      throw refuse(`cannot compare ${commit.slice(0, 12)} with ${base.slice(0, 12)}, the commit running in the first environment (${(err as Error).message}); was it force-pushed away?`);
    }
  }
  return out.stdout
    .toString('utf8')
    .split('\0')
    .filter((file) => file !== '');
}

/** sha256 (hex) of each migration file as the commit has it; undefined for a file it removes. */
async function fileChecksums(folder: string, files: readonly string[]): Promise<Record<string, string | undefined>> {
  const sums: Record<string, string | undefined> = {};
  for (const file of files) {
    const bytes = await readFile(path.join(folder, file)).catch(() => undefined);
    sums[file] = bytes && createHash('sha256').update(bytes).digest('hex');
  }
  return sums;
}

/**
 * The migrations applied in an environment's database (file → sha256), read-only. Its
 * URL comes from the worker's environment. An unreachable database is retried (a short
 * outage is not a verdict); no URL at all refuses the release.
 */
async function appliedChecksums(env: NodeJS.ProcessEnv, variable: string, service: string, environment: string): Promise<Map<string, string>> {
  const url = env[variable];
  if (!url) {
    throw refuse(
      `${service} changes migrations and code since what runs in ${environment}; only ${environment}'s database can tell whether an earlier schema release applied those migrations, ` +
        `and the worker has no ${variable}: set it to the postgres:// URL of that database and restart the worker`,
    );
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const query = async (text: string) => (await client.query(text)).rows as Record<string, unknown>[];
    const [{ table }] = await query(`SELECT to_regclass('public.gantry_migrations')::text AS table`);
    if (table === null) return new Map();
    const applied = await readAppliedMigrations(query);
    return new Map([...applied.values()].map((record) => [record.file, record.checksum]));
  } catch (err) {
    const { message } = describeDatabaseError(err);
    if (classifyDatabaseError(err) === 'unreachable') {
      throw ApplicationFailure.create({ type: 'MigrationDatabaseUnreachable', message: `${environment}'s database of ${service} does not answer: ${message}` });
    }
    throw refuse(`cannot read the migrations applied in ${environment}'s database of ${service}: ${message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface RulesReading {
  /** What refuses the release whatever runs where: unparsable SQL, a folder with a gap, a rule broken outside a contract step. */
  problems: string[];
  /** Migrations whose only breaking statements are those a contract step may make, with their marker. */
  contracts: { file: string; marker: ContractMarker }[];
}

/** `gantry migrations check`'s rules on the migrations the release adds or changes. */
async function readMigrationRules(folderPath: string, changed: ChangedFiles): Promise<RulesReading> {
  const names = await readdir(folderPath).catch(() => [] as string[]);
  const problems: string[] = orderMigrationFiles(names).problems.map((p) => p.message);
  const contracts: RulesReading['contracts'] = [];
  // Loaded here: it compiles PostgreSQL's parser, which other admissions do not need.
  const { MigrationParseError, parseMigration } = await import('../migrations/parse-migration');
  for (const file of changed.migrations.filter((f) => f.toLowerCase().endsWith('.sql') && names.includes(f))) {
    const sql = await readFile(path.join(folderPath, file), 'utf8');
    const reading = readContractMarker(sql);
    if ('problem' in reading) problems.push(`${file}:${reading.line}: ${reading.problem}`);
    const marker = 'marker' in reading ? reading.marker : undefined;
    let findings: MigrationFinding[];
    try {
      findings = checkMigration({ file, statements: await parseMigration(file, sql), ...(marker ? { contract: marker } : {}) });
    } catch (err) {
      if (!(err instanceof MigrationParseError)) throw err;
      problems.push(`${err.message} (PostgreSQL would refuse it)`);
      continue;
    }
    // A finding carries the marker only when a contract step may make it (it breaks the old version, not the locks).
    for (const f of findings.filter((finding) => !finding.contract)) problems.push(`${f.file}:${f.line} ${f.rule}: ${f.message}; instead: ${f.safeAlternative}`);
    if (marker && findings.some((finding) => finding.contract)) contracts.push({ file, marker });
  }
  return { problems, contracts };
}

/**
 * The contract steps the release carries, each judged against what runs in every
 * environment of the service now (src/policy/migration-contract.ts): those admitted, and
 * why the others are not.
 */
async function judgeContractSteps(
  deps: AdmissionDeps,
  candidate: Candidate,
  environments: readonly string[],
  contracts: RulesReading['contracts'],
): Promise<{ steps: ContractStep[]; refusals: string[] }> {
  const { service } = candidate.request;
  const records: ContractEnvironment[] = [];
  for (const name of environments) {
    const record = await readEnvironmentRecord(deps, service, name);
    records.push(record ? { name, record: contractView(record) } : { name });
  }
  const rollbackWindowMs = candidate.config.migrations!.rollbackWindow;
  // Read once, so every step of the release is judged at the same instant.
  const nowMs = Date.now();
  const steps: ContractStep[] = [];
  const refusals: string[] = [];
  for (const { file, marker } of contracts) {
    const released = deps.artifacts ? (await deps.artifacts.readProvenance(service, marker.after).catch(() => undefined)) !== undefined : undefined;
    const decision = checkContractStep({ service, file, marker, environments: records, rollbackWindowMs, nowMs, ...(released !== undefined ? { released } : {}) });
    if (decision.admitted) steps.push(decision.step);
    else refusals.push(decision.reason);
  }
  if (steps.length > 0) {
    // Refused now rather than left to expire at the gate: nobody could give the extra approval.
    const policy = approvalPolicyOf(candidate.config);
    const required = contractApprovalsRequired(policy.minApprovals);
    const eligible = eligibleApprovers(policy).filter((who) => who !== candidate.request.author);
    if (eligible.length < required) {
      refusals.push(
        `${steps.map((s) => s.file).join(', ')}: a contract step needs ${required} approvals (one more than the approval policy's minApprovals ${policy.minApprovals}) ` +
          `but only ${eligible.length} approver${eligible.length === 1 ? '' : 's'} other than the author ${eligible.length === 1 ? 'is' : 'are'} named (${eligible.join(', ') || 'none'}); add approvers to the service's approval.approvers`,
      );
    }
  }
  return { steps, refusals };
}

/** The part of an environment's record a contract step is judged on, its times as epoch milliseconds. */
function contractView(record: EnvironmentRecord): NonNullable<ContractEnvironment['record']> {
  return {
    ...(record.current ? { current: { version: record.current.version, sinceMs: Date.parse(record.current.since) } } : {}),
    ...(record.previous ? { previous: { version: record.previous.version } } : {}),
    history: record.history.map((event) => ({ version: event.version, atMs: Date.parse(event.at) })),
  };
}

/** An environment's entity record, or undefined when nothing was deployed there yet (or the worker has no client to ask). */
async function readEnvironmentRecord(deps: AdmissionDeps, service: string, environment: string): Promise<EnvironmentRecord | undefined> {
  if (!deps.client) return undefined;
  try {
    const entity = environmentWorkflowId(service, environment, Context.current().info.taskQueue);
    return await deps.client.workflow.getHandle(entity).query(environmentQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Refuses the release with every problem found, the rules' first (a few shown). */
function refuseMigrations(folder: string, problems: readonly string[], refusals: readonly string[]): void {
  if (problems.length === 0 && refusals.length === 0) return;
  if (problems.length === 0) {
    throw refuse(`the contract step${refusals.length === 1 ? '' : 's'} this release carries ${refusals.length === 1 ? 'is' : 'are'} not admitted yet: ${refusals.map((r) => `${folder}/${r}`).join('; ')}`);
  }
  const all = [...problems, ...refusals];
  const shown = all.slice(0, 5).map((p) => `${folder}/${p}`);
  throw refuse(
    `the migrations this release carries break the rules of \`gantry migrations check\` (${all.length} problem${all.length === 1 ? '' : 's'}): ${shown.join('; ')}` +
      `${all.length > 5 ? `; and ${all.length - 5} more` : ''}. Fix them and release a new commit`,
  );
}

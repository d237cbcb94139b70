import type { ContractStep } from '../shared/release';
import type { ContractMarker } from './migration-contract-marker';
import { compareVersions } from './version-order';

/**
 * The contract step of an expand/contract change: a migration that removes the old shape
 * (drops or renames a column, changes its type…) is safe only when no version that reads
 * that shape can run again. Its marker `-- gantry:contract after=<version>` names the
 * release after which nothing reads the old shape. The step is admitted when:
 *
 * 1. that version, or a later one, runs in every environment of the service, and
 * 2. has run in every environment for at least the rollback window
 *    (`migrations.rollbackWindow`): until then a rollback may still bring back an older
 *    version, which would meet a schema it cannot read.
 *
 * Worked example, window 24h, marker `after=1.4.0`: staging runs 1.4.0 since Dec 1 10:02,
 * production 1.4.1 since Dec 2 09:00 (1.4.0 before it since Dec 1 16:00). Both run 1.4.0
 * or later, continuously since Dec 1 10:02 and Dec 1 16:00: everywhere since Dec 1 16:00,
 * so the window closes Dec 2 16:00. At Dec 2 12:00 the step is refused ("closes at
 * 2026-12-02T16:00:00.000Z"); at 16:00 it is admitted, and the release waits for one more
 * approval than the policy asks for before its first environment.
 *
 * Pure: the caller reads the environments' records and the clock and passes them in.
 */

/**
 * What the admission knows of one environment of the service (its entity's record, times
 * as epoch milliseconds), in the service's order; `record` is absent when nothing was
 * ever deployed there.
 */
export interface ContractEnvironment {
  name: string;
  record?: {
    current?: { version: string; sinceMs: number };
    previous?: { version: string };
    /** Its recent deploys and restores, oldest first. */
    history: { version: string; atMs: number }[];
  };
}

export interface ContractCheck {
  service: string;
  /** The migration file (name inside the folder). */
  file: string;
  marker: ContractMarker;
  environments: readonly ContractEnvironment[];
  rollbackWindowMs: number;
  /** Epoch milliseconds: now, as the admission read the clock. */
  nowMs: number;
  /** Whether the artifact store holds a build of the marker's version (absent: not asked). */
  released?: boolean;
}

export type ContractDecision = { admitted: true; step: ContractStep } | { admitted: false; reason: string };

const atLeast = (version: string, after: string) => compareVersions(version, after) >= 0;
const iso = (ms: number) => new Date(ms).toISOString();

/** How a window reads in a message: 7d, 24h, 90m, 5s (days only from two on: 24h is how people write a day's window). */
export function formatWindow(ms: number): string {
  if (ms >= 2 * 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Since when the environment has run `after` or a later version without a break
 * (epoch ms), or undefined when what runs there now is older (or nothing runs). The
 * recent deploys extend it back past upgrades (1.4.0 then 1.4.1 counts from 1.4.0); a
 * restore of an older version in between breaks it.
 */
export function runningAtLeastSince(record: ContractEnvironment['record'], after: string): number | undefined {
  const current = record?.current;
  if (!current || !atLeast(current.version, after)) return undefined;
  let since = current.sinceMs;
  const history = record?.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i];
    if (!atLeast(event.version, after)) break;
    since = Math.min(since, event.atMs);
  }
  return since;
}

/** Whether any environment's record ever mentions the version: what runs, ran before, or its recent deploys. */
function mentioned(environments: readonly ContractEnvironment[], version: string): boolean {
  return environments.some(({ record }) =>
    [record?.current?.version, record?.previous?.version, ...(record?.history ?? []).map((e) => e.version)].some((v) => v !== undefined && compareVersions(v, version) === 0),
  );
}

const runsLine = (environments: readonly ContractEnvironment[]) =>
  environments.map(({ name, record }) => `${name} runs ${record?.current ? record.current.version : 'nothing'}`).join(', ');

/** Decides one contract-marked migration (see the module's comment); a refusal names the file, the marker and what is missing. */
export function checkContractStep(input: ContractCheck): ContractDecision {
  const { service, file, marker, environments, rollbackWindowMs, nowMs } = input;
  const { after } = marker;
  const named = `${file} (\`-- gantry:contract after=${after}\`)`;
  if (environments.length === 0) return { admitted: false, reason: `${named}: ${service} has no environment to run ${after} in` };

  const reached = environments.map((environment) => ({ environment, since: runningAtLeastSince(environment.record, after) }));
  const missing = reached.filter((r) => r.since === undefined);
  if (missing.length === environments.length && !mentioned(environments, after) && input.released !== true) {
    return {
      admitted: false,
      reason:
        `${named} names ${after}, a version of ${service} no environment ever ran and no release built (${runsLine(environments)}); ` +
        'name the release after which nothing reads the old shape: the one that stopped reading it',
    };
  }
  if (missing.length > 0) {
    const there = reached.filter((r) => r.since !== undefined).map((r) => `${r.environment.name} since ${iso(r.since!)}`);
    const notThere = missing.map(({ environment: { name, record } }) => `${name} (it runs ${record?.current ? record.current.version : 'nothing'})`);
    return {
      admitted: false,
      reason:
        `${named} removes what versions before ${after} read, so ${after} or later must run in every environment of ${service} first: ` +
        (there.length > 0 ? `${after} runs in ${there.join(', ')} but not in ${notThere.join(', ')}; ` : `${after} runs in no environment yet (${runsLine(environments)}); `) +
        `release ${after} (or later) to ${missing.map((m) => m.environment.name).join(', ')}, then this migration again`,
    };
  }

  const everywhereSinceMs = Math.max(...reached.map((r) => r.since!));
  const closesMs = everywhereSinceMs + rollbackWindowMs;
  if (nowMs < closesMs) {
    const last = reached.find((r) => r.since === everywhereSinceMs)!.environment.name;
    return {
      admitted: false,
      reason:
        `${named}: ${after} runs in every environment of ${service} since ${iso(everywhereSinceMs)} (last: ${last}), but a rollback to an older version, ` +
        `which still reads the old shape, may happen until the rollback window (${formatWindow(rollbackWindowMs)}, migrations.rollbackWindow) of ${after} closes at ${iso(closesMs)}; ` +
        'release this migration again after that',
    };
  }
  return {
    admitted: true,
    step: { file, after, everywhereSince: iso(everywhereSinceMs), windowClosedAt: iso(closesMs) },
  };
}

/**
 * Approvals a release with an admitted contract step needs before its first environment:
 * one more than the approval policy's minimum. A contract step cannot be rolled back (the
 * removed column's data is gone), so one more person sees it go; the same people the
 * policy names approve it, so no new role is needed to run it.
 */
export function contractApprovalsRequired(minApprovals: number): number {
  return minApprovals + 1;
}

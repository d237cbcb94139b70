import type { ServiceConfig } from '../config/service-catalogue';
import type { AuditEntry } from '../providers/audit/audit-store';
import type { MessageEvent, Recorded, ReleaseEvent } from '../shared/decision-events';
import type { GateException, Outcome } from '../shared/release';

/**
 * One run of a release as its audit trail tells it: what the review needs, folded from
 * the release's own entries (its rollouts' are kept apart, by workflow ID). Pure.
 *
 * Example: entries admitted (commit at 09:00), stage_entered production at 11:00,
 * deployed production at 11:20, finished succeeded → productionEnteredAt 11:00,
 * productionDoneAt 11:20, leadTimeMs 2 h 20 min.
 */
export interface ReleaseTrail {
  /** release/<service>/<version> */
  release: string;
  runId: string;
  service: string;
  version: string;
  /** The environment releases end in, where DORA counts (see `productionOf`). */
  production: string;
  /** Each environment's stage entered, new version deployed and old one restored, as recorded. */
  environments: Record<string, { enteredAt?: string; deployedAt?: string; restoredAt?: string }>;
  /** The environments in the order the release entered them. */
  entered: string[];
  definition?: ServiceConfig;
  committedAt?: string;
  admittedAt?: string;
  productionEnteredAt?: string;
  /** The release's own deploy to production: the new version serves all of it. */
  productionDoneAt?: string;
  /** The old version put back in production (a failed deploy restored). */
  productionRestoredAt?: string;
  outcome?: Outcome;
  reason?: string;
  finishedAt?: string;
  /** Approvals accepted, in order. */
  approvals: (MessageEvent & { at: string })[];
  /** Why the statistical judge gave the approval instead of people, when it did. */
  approvedByAnalysis?: string;
  /** Messages refused, with who and why. */
  refused: (MessageEvent & { at: string })[];
  exceptions: (Omit<GateException, 'at' | 'weight'> & { at: string; weight?: number })[];
  /** Set on an explicit rollback (`release start --rollback`): what it replaced where, and why. */
  rollbacks: { environment: string; replaces: string; reason: string; at: string }[];
  /** A canary or blue/green rolled back by itself or by someone: why. */
  rolloutRollbacks: { rollout: string; reason: string; at: string }[];
}

export function releaseTrails(entries: readonly AuditEntry[]): ReleaseTrail[] {
  const trails = new Map<string, ReleaseTrail>();
  const rolloutEntries: AuditEntry[] = [];
  for (const entry of [...entries].sort((a, b) => a.position - b.position)) {
    const event = entry.event;
    if (!entry.release) continue;
    if (event.workflowId !== entry.release) {
      if (event.workflowId.startsWith('rollout/')) rolloutEntries.push(entry);
      continue;
    }
    const id = `${entry.release}#${entry.runId}`;
    let trail = trails.get(id);
    if (!trail) {
      trail = newTrail(entry.release, entry.runId);
      trails.set(id, trail);
    }
    fold(trail, event as Recorded<ReleaseEvent>);
  }
  for (const trail of trails.values()) settleProduction(trail, productionOf(trail.service, [...trails.values()]));
  // A rollout's entries belong to the run of its release that was running then: the latest one that began before.
  for (const entry of rolloutEntries) {
    const runs = [...trails.values()].filter((t) => t.release === entry.release && (t.admittedAt ?? '') <= entry.event.at);
    const trail = runs[runs.length - 1];
    if (!trail) continue;
    const event = entry.event;
    if (event.kind === 'rolled_back') trail.rolloutRollbacks.push({ rollout: event.workflowId, reason: event.reason, at: event.at });
    if (event.kind === 'change_excepted') {
      const { kind: _kind, seq: _seq, workflowId: _workflowId, ...exception } = event;
      trail.exceptions.push({ ...exception, environment: trail.production });
    }
  }
  return [...trails.values()];
}

function newTrail(release: string, runId: string): ReleaseTrail {
  const [, service = '', ...version] = release.split('/');
  return { release, runId, service, version: version.join('/'), production: 'production', environments: {}, entered: [], approvals: [], refused: [], exceptions: [], rollbacks: [], rolloutRollbacks: [] };
}

/**
 * Which of a service's environments is production. The stored definition is canonical
 * JSON (keys sorted), so its order of environments is lost: an environment named
 * `production` is it; else the last one a release that succeeded went through.
 */
export function productionOf(service: string, trails: readonly ReleaseTrail[]): string {
  const ofService = trails.filter((t) => t.service === service);
  if (ofService.some((t) => t.definition?.environments && 'production' in t.definition.environments)) return 'production';
  const through = ofService.filter((t) => t.outcome === 'succeeded' && t.entered.length > 0).sort((a, b) => b.entered.length - a.entered.length)[0];
  return through?.entered[through.entered.length - 1] ?? 'production';
}

function settleProduction(trail: ReleaseTrail, production: string): void {
  trail.production = production;
  const times = trail.environments[production] ?? {};
  if (times.enteredAt) trail.productionEnteredAt = times.enteredAt;
  if (times.deployedAt) trail.productionDoneAt = times.deployedAt;
  if (times.restoredAt) trail.productionRestoredAt = times.restoredAt;
}

const times = (trail: ReleaseTrail, environment: string) => (trail.environments[environment] ??= {});

function fold(trail: ReleaseTrail, event: Recorded<ReleaseEvent>): void {
  switch (event.kind) {
    case 'admitted':
    case 'definition_from_starter': {
      trail.definition = event.definition;
      trail.admittedAt = event.at;
      if (event.kind === 'admitted') trail.committedAt = event.source.committedAt;
      return;
    }
    case 'stage_entered':
      if (event.stage === 'admission') trail.admittedAt ??= event.at;
      if (trail.definition?.environments && event.stage in trail.definition.environments && !trail.entered.includes(event.stage)) {
        trail.entered.push(event.stage);
        times(trail, event.stage).enteredAt = event.at;
      }
      return;
    case 'deployed':
      times(trail, event.environment).deployedAt = event.at;
      return;
    case 'restored':
      times(trail, event.environment).restoredAt = event.at;
      return;
    case 'message':
      if (event.result === 'refused') trail.refused.push(event);
      else if (event.message === 'approve') trail.approvals.push(event);
      return;
    case 'approved_by_analysis':
      trail.approvedByAnalysis = event.reason;
      return;
    case 'change_excepted': {
      const { kind: _kind, seq: _seq, workflowId: _workflowId, ...exception } = event;
      trail.exceptions.push(exception);
      return;
    }
    case 'rollback_allowed':
      trail.rollbacks.push({ environment: event.environment, replaces: event.replaces, reason: event.reason, at: event.at });
      return;
    case 'finished':
      trail.outcome = event.outcome;
      trail.finishedAt = event.at;
      if (event.reason) trail.reason = event.reason;
      return;
    default:
      return;
  }
}

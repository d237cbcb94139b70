import type { ServiceConfig } from '../config/service-catalogue';
import { decideChange } from '../policy/change-window';
import { effectiveChangePolicy } from '../policy/effective-change-policy';
import { type CalendarView, declaredRules } from '../shared/change-calendar';
import type { EnvironmentRecord } from '../shared/environment';
import type { ReleaseStatus } from '../shared/release';
import { type RolloutStatus, rolloutHeldBy } from '../shared/rollout';
import { type UiLocation, workflowUiLink } from '../shared/temporal-ui';

/**
 * The release board's one document: what runs where, what is moving and what holds it,
 * as the environment entities, the running releases, the change calendar and the
 * catalogue in force say at one instant. The page draws it; `/board.json` serves it.
 */
export interface BoardView {
  /** ISO 8601: when it was read. */
  generatedAt: string;
  taskQueue: string;
  /** The catalogue in force (its digest), when a worker answered. */
  catalogue?: string;
  /** Column order: each service's environments in catalogue order, then any only the records know. */
  environments: string[];
  services: BoardService[];
  /** Running releases, oldest first. */
  inFlight: BoardRelease[];
  /** Freezes declared now and in force. */
  freezes: BoardFreeze[];
  quarantined: { service: string; version: string; by: string; reason: string }[];
  /** What the board could not read (it shows the rest). */
  problems: string[];
}

export interface BoardService {
  name: string;
  cells: BoardCell[];
}

export interface BoardCell {
  environment: string;
  running?: { version: string; since: string; release: string; link?: string };
  /** The release deploying there now. */
  deploying?: { release: string; link?: string };
  /** Releases waiting for their turn there, in order. */
  waiting: string[];
  /** What the change policy and the freezes say of a medium-risk release there now. */
  window: BoardWindow;
}

export interface BoardWindow {
  /** unmanaged: no change policy applies (declared freezes still would). */
  state: 'open' | 'held' | 'refused' | 'unmanaged';
  /** ISO 8601, for `held`: when it opens (absent while a freeze with no end holds it). */
  until?: string;
  reasons: string[];
}

export interface BoardRelease {
  workflowId: string;
  link?: string;
  service: string;
  version: string;
  author: string;
  stage: string;
  startedAt: string;
  waitingFor?: string;
  /** The change gate holding it, in words. */
  hold?: string;
  rollout?: {
    strategy: RolloutStatus['strategy'];
    phase: RolloutStatus['phase'];
    weights: RolloutStatus['weights'];
    /** Canary: the step being soaked (1-based) and the weights of every step. */
    step?: number;
    steps: number[];
    /** Why the rollout does not move now, when something stops it. */
    stoppedBy?: string;
  };
}

export interface BoardFreeze {
  id: string;
  by: string;
  reason: string;
  /** Where it holds: "every service" when it names none. */
  scope: string;
  declaredAt: string;
  until?: string;
}

/** A running release as the board reads it: its status is absent when its query failed. */
export interface RunningRelease {
  workflowId: string;
  runId: string;
  startedAt: string;
  status?: ReleaseStatus;
}

export interface BoardInputs {
  taskQueue: string;
  ui?: UiLocation;
  environments: EnvironmentRecord[];
  releases: RunningRelease[];
  calendar: CalendarView;
  catalogue?: { digest: string; services: Record<string, ServiceConfig> };
  problems: string[];
}

/** Puts what was read into the board's document; `nowMs` is when it was read. */
export function buildBoardView(inputs: BoardInputs, nowMs: number): BoardView {
  const link = (workflowId: string, runId?: string) => (inputs.ui ? workflowUiLink(inputs.ui, workflowId, runId) : undefined);
  const definitions = inputs.catalogue?.services ?? {};
  const environments = columnOrder(definitions, inputs.environments);
  const serviceNames = [...new Set([...Object.keys(definitions), ...inputs.environments.map((r) => r.service)])].sort();
  const records = new Map(inputs.environments.map((r) => [`${r.service}/${r.environment}`, r]));
  const freezes = declaredRules(inputs.calendar.active);

  const services = serviceNames.map((name) => {
    const definition = definitions[name];
    const own = environments.filter((e) => definition?.environments[e] !== undefined || records.has(`${name}/${e}`));
    const cells = own.map((environment): BoardCell => {
      const record = records.get(`${name}/${environment}`);
      const policy = definition ? effectiveChangePolicy(definition.changePolicy, environment, definition.environments[environment]?.changePolicy) : undefined;
      const decision = decideChange(policy, { service: name, environment, risk: 'medium' }, nowMs, freezes);
      const window: BoardWindow =
        decision.kind === 'allowed'
          ? { state: policy ? 'open' : 'unmanaged', reasons: [] }
          : decision.kind === 'wait'
            ? { state: 'held', ...(decision.untilMs !== undefined ? { until: new Date(decision.untilMs).toISOString() } : {}), reasons: decision.reasons }
            : { state: 'refused', reasons: decision.reasons };
      return {
        environment,
        ...(record?.current ? { running: { version: record.current.version, since: record.current.since, release: record.current.release, ...optional('link', link(record.current.release)) } } : {}),
        ...(record?.holder ? { deploying: { release: record.holder.workflowId, ...optional('link', link(record.holder.workflowId, record.holder.runId)) } } : {}),
        waiting: record?.queue.map((q) => q.workflowId) ?? [],
        window,
      };
    });
    return { name, cells };
  });

  const inFlight = [...inputs.releases]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.workflowId.localeCompare(b.workflowId))
    .map((r) => boardRelease(r, link(r.workflowId, r.runId)));

  return {
    generatedAt: new Date(nowMs).toISOString(),
    taskQueue: inputs.taskQueue,
    ...(inputs.catalogue ? { catalogue: inputs.catalogue.digest } : {}),
    environments,
    services,
    inFlight,
    freezes: inputs.calendar.active.map((f) => ({
      id: f.id,
      by: f.by,
      reason: f.reason,
      scope: `${f.services?.join(', ') ?? 'every service'} in ${f.environments?.join(', ') ?? 'every environment'}`,
      declaredAt: f.declaredAt,
      ...(f.until ? { until: f.until } : {}),
    })),
    quarantined: (inputs.calendar.quarantined ?? []).map((q) => ({ service: q.service, version: q.version, by: q.by, reason: q.reason })),
    problems: inputs.problems,
  };
}

function boardRelease(release: RunningRelease, link: string | undefined): BoardRelease {
  const status = release.status;
  const [service = '?', version = '?'] = release.workflowId.replace(/^release\//, '').split('/');
  if (!status) return { workflowId: release.workflowId, ...optional('link', link), service, version, author: '?', stage: 'unknown', startedAt: release.startedAt };
  const rollout = status.rollout;
  const stoppedBy = rollout ? rolloutHeldBy(rollout) : undefined;
  return {
    workflowId: release.workflowId,
    ...optional('link', link),
    service: status.service,
    version: status.version,
    author: status.author,
    stage: status.stage,
    startedAt: release.startedAt,
    ...optional('waitingFor', status.waitingFor),
    ...optional('hold', status.hold ? `${status.hold.environment}: ${status.hold.reasons.join('; ')}${status.hold.until ? ` (until ${status.hold.untilLocal})` : ''}` : undefined),
    ...(rollout && !status.outcome
      ? {
          rollout: {
            strategy: rollout.strategy,
            phase: rollout.phase,
            weights: rollout.weights,
            ...(rollout.strategy === 'canary' && rollout.step !== undefined ? { step: rollout.step + 1 } : {}),
            steps: rollout.steps.map((s) => s.weight),
            ...optional('stoppedBy', stoppedBy),
          },
        }
      : {}),
  };
}

function columnOrder(definitions: Record<string, ServiceConfig>, records: EnvironmentRecord[]): string[] {
  const order: string[] = [];
  for (const name of Object.keys(definitions).sort()) for (const e of Object.keys(definitions[name].environments)) if (!order.includes(e)) order.push(e);
  for (const r of records) if (!order.includes(r.environment)) order.push(r.environment);
  return order;
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

import { type BoardInputs, type RunningRelease, buildBoardView } from '../../src/board/board-view';
import { parseCatalogue } from '../../src/config/load-catalogue';
import type { CalendarView, DeclaredFreeze } from '../../src/shared/change-calendar';
import type { EnvironmentRecord } from '../../src/shared/environment';
import type { ReleaseStatus } from '../../src/shared/release';
import type { RolloutStatus } from '../../src/shared/rollout';

/**
 * `api` has a service-wide policy refusing releases on Saturdays; `shop` has a policy only in
 * production, which takes the default production window (fri 12:00 to mon 06:00 UTC).
 * The services are written out of order: the board sorts them.
 */
const CATALOGUE = `version: 1
services:
  shop:
    repository: https://git.example.com/shop.git
    build: make
    test: { unit: make test, lint: make lint }
    artifact: { include: [dist] }
    run: { command: node server.js }
    environments:
      staging: {}
      qa: {}
      production:
        changePolicy: { timeZone: UTC }
  api:
    repository: https://git.example.com/api.git
    build: make
    test: { unit: make test, lint: make lint }
    artifact: { include: [dist] }
    run: { command: node server.js }
    changePolicy:
      blockedWindows: [{ from: "sat 00:00", to: "sun 00:00" }]
      whenBlocked: refuse
    environments:
      staging: {}
      production: {}
`;
const { catalogue } = parseCatalogue(CATALOGUE, { file: '/etc/gantry/gantry.yaml', repositoryBase: '/etc/gantry' });
const CATALOGUE_IN_FORCE = { digest: 'sha256:c0ffee', services: catalogue.services };

/** A Friday, 15:00 UTC: inside shop production's default blocked window, outside api's. */
const FRIDAY_AFTERNOON = Date.parse('2026-11-27T15:00:00Z');
const TUESDAY_NOON = Date.parse('2026-12-01T12:00:00Z');
const UI = { url: 'http://ui:8233/', namespace: 'default' };

const deployed = (service: string, version: string, since: string) => ({
  version,
  digest: `sha256:${version}`,
  url: `http://${service}.local`,
  since,
  release: `release/${service}/${version}`,
});

const record = (service: string, environment: string, fields: Partial<EnvironmentRecord> = {}): EnvironmentRecord => ({ service, environment, queue: [], history: [], ...fields });

const ENVIRONMENTS: EnvironmentRecord[] = [
  record('shop', 'staging', { current: deployed('shop', '1.1.0', '2026-11-26T10:00:00.000Z') }),
  record('shop', 'production', {
    current: deployed('shop', '1.0.0', '2026-11-20T09:00:00.000Z'),
    holder: { workflowId: 'release/shop/1.1.0', runId: 'run-110' },
    queue: [
      { workflowId: 'release/shop/1.2.0', runId: 'run-120' },
      { workflowId: 'release/shop/1.3.0', runId: 'run-130' },
    ],
  }),
  // A service the catalogue no longer names, in an environment only its record knows.
  record('legacy', 'sandbox', { current: deployed('legacy', '0.9.0', '2026-01-05T08:00:00.000Z') }),
  record('legacy', 'production', { current: deployed('legacy', '0.8.0', '2025-12-01T08:00:00.000Z') }),
];

const freeze = (id: string, fields: Partial<DeclaredFreeze> = {}): DeclaredFreeze => ({ id, reason: `incident ${id}`, by: 'oncall', declaredAt: '2026-11-27T08:00:00.000Z', ...fields });

const EMPTY_CALENDAR: CalendarView = { active: [], ended: [] };

const inputs = (fields: Partial<BoardInputs> = {}): BoardInputs => ({
  taskQueue: 'gantry',
  ui: UI,
  environments: ENVIRONMENTS,
  releases: [],
  calendar: EMPTY_CALENDAR,
  catalogue: CATALOGUE_IN_FORCE,
  problems: [],
  ...fields,
});

const cell = (view: ReturnType<typeof buildBoardView>, service: string, environment: string) => {
  const found = view.services.find((s) => s.name === service)?.cells.find((c) => c.environment === environment);
  if (!found) throw new Error(`no cell ${service}/${environment}`);
  return found;
};

const canary = (fields: Partial<RolloutStatus> = {}): RolloutStatus => ({
  strategy: 'canary',
  phase: 'progressing',
  canaryVersion: '1.1.0',
  stableVersion: '1.0.0',
  weights: { stable: 75, canary: 25 },
  step: 1,
  steps: [{ weight: 5 }, { weight: 25 }, { weight: 50 }, { weight: 100 }],
  analyses: [],
  decisions: [],
  ...fields,
});

/** The board reads only these fields of a release's status; the rest of ReleaseStatus is irrelevant here. */
const status = (fields: Partial<ReleaseStatus> & Pick<ReleaseStatus, 'service' | 'version'>): ReleaseStatus =>
  ({ workflowId: `release/${fields.service}/${fields.version}`, author: 'alice', stage: 'build', ...fields }) as ReleaseStatus;

const running = (workflowId: string, startedAt: string, releaseStatus?: ReleaseStatus): RunningRelease => ({
  workflowId,
  runId: `run-${workflowId.split('/').pop()}`,
  startedAt,
  ...(releaseStatus ? { status: releaseStatus } : {}),
});

describe('what runs where', () => {
  test("columns follow the catalogue's services (by name) and their environments, then environments only the records know", () => {
    const view = buildBoardView(inputs(), FRIDAY_AFTERNOON);
    expect(view.environments).toEqual(['staging', 'production', 'qa', 'sandbox']);
  });

  test('services are sorted, the catalogue and the records together, each with a cell per environment it has', () => {
    const view = buildBoardView(inputs(), FRIDAY_AFTERNOON);
    expect(view.services.map((s) => s.name)).toEqual(['api', 'legacy', 'shop']);
    expect(view.services.map((s) => `${s.name}: ${s.cells.map((c) => c.environment).join(' ')}`)).toEqual([
      'api: staging production',
      'legacy: production sandbox',
      'shop: staging production qa',
    ]);
  });

  test('a cell shows the running version, since when, by which release, linked to that release in the Temporal UI', () => {
    const view = buildBoardView(inputs(), FRIDAY_AFTERNOON);
    expect(cell(view, 'shop', 'staging').running).toEqual({
      version: '1.1.0',
      since: '2026-11-26T10:00:00.000Z',
      release: 'release/shop/1.1.0',
      link: 'http://ui:8233/namespaces/default/workflows/release%2Fshop%2F1.1.0',
    });
    expect(cell(view, 'api', 'staging').running).toBeUndefined();
  });

  test("the release deploying links to its run's history; the waiting ones are listed in order", () => {
    const production = cell(buildBoardView(inputs(), FRIDAY_AFTERNOON), 'shop', 'production');
    expect(production.deploying).toEqual({
      release: 'release/shop/1.1.0',
      link: 'http://ui:8233/namespaces/default/workflows/release%2Fshop%2F1.1.0/run-110/history',
    });
    expect(production.waiting).toEqual(['release/shop/1.2.0', 'release/shop/1.3.0']);
    expect(cell(buildBoardView(inputs(), FRIDAY_AFTERNOON), 'shop', 'staging')).toMatchObject({ waiting: [] });
  });

  test('without a Temporal UI address nothing is linked', () => {
    const { ui: _ui, ...withoutUi } = inputs();
    const production = cell(buildBoardView(withoutUi, FRIDAY_AFTERNOON), 'shop', 'production');
    expect(production.running).not.toHaveProperty('link');
    expect(production.deploying).toEqual({ release: 'release/shop/1.1.0' });
  });

  test('the catalogue digest is given when the catalogue was read, and the environments still show when it was not', () => {
    expect(buildBoardView(inputs(), FRIDAY_AFTERNOON).catalogue).toBe('sha256:c0ffee');
    const { catalogue: _catalogue, ...withoutCatalogue } = inputs();
    const view = buildBoardView(withoutCatalogue, FRIDAY_AFTERNOON);
    expect(view).not.toHaveProperty('catalogue');
    expect(view.environments).toEqual(['staging', 'production', 'sandbox']);
    expect(view.services.map((s) => s.name)).toEqual(['legacy', 'shop']);
    // Without the catalogue no change policy is known.
    expect(cell(view, 'shop', 'production').window).toEqual({ state: 'unmanaged', reasons: [] });
  });
});

describe('deploy windows', () => {
  test('an environment with no change policy is unmanaged', () => {
    const view = buildBoardView(inputs(), FRIDAY_AFTERNOON);
    expect(cell(view, 'shop', 'staging').window).toEqual({ state: 'unmanaged', reasons: [] });
    expect(cell(view, 'legacy', 'sandbox').window).toEqual({ state: 'unmanaged', reasons: [] });
  });

  test('an environment inside its window is open', () => {
    expect(cell(buildBoardView(inputs(), FRIDAY_AFTERNOON), 'api', 'production').window).toEqual({ state: 'open', reasons: [] });
    expect(cell(buildBoardView(inputs(), TUESDAY_NOON), 'shop', 'production').window).toEqual({ state: 'open', reasons: [] });
  });

  test('an environment in a blocked window is held until the window ends, with the reason', () => {
    expect(cell(buildBoardView(inputs(), FRIDAY_AFTERNOON), 'shop', 'production').window).toEqual({
      state: 'held',
      until: '2026-11-30T06:00:00.000Z',
      reasons: ['production is in a blocked deploy window (fri 12:00 to mon 06:00, UTC)'],
    });
  });

  test('an environment whose policy refuses blocked releases is refused while blocked, with the reason', () => {
    const saturday = Date.parse('2026-11-28T12:00:00Z');
    expect(cell(buildBoardView(inputs(), saturday), 'api', 'staging').window).toEqual({
      state: 'refused',
      reasons: ['staging is in a blocked deploy window (sat 00:00 to sun 00:00, UTC)'],
    });
  });

  test('a declared freeze with no end holds the service environment it names, with no until', () => {
    const calendar: CalendarView = { active: [freeze('F1', { services: ['legacy'], environments: ['production'] })], ended: [] };
    const view = buildBoardView(inputs({ calendar }), TUESDAY_NOON);
    expect(cell(view, 'legacy', 'production').window).toEqual({
      state: 'held',
      reasons: ['change freeze F1 declared by oncall (incident F1) until it is ended'],
    });
    expect(cell(view, 'legacy', 'sandbox').window.state).toBe('unmanaged');
  });

  test('a freeze that names another service does not hold', () => {
    const calendar: CalendarView = { active: [freeze('F2', { services: ['billing'] })], ended: [] };
    const view = buildBoardView(inputs({ calendar }), TUESDAY_NOON);
    expect(view.services.flatMap((s) => s.cells.map((c) => c.window.state))).not.toContain('held');
  });
});

describe('releases in flight', () => {
  const releases = [
    running('release/shop/1.1.0', '2026-11-27T14:00:00.000Z', status({ service: 'shop', version: '1.1.0', stage: 'production', rollout: canary({ pausedBecause: 'paused by bob: checking the error rate', changeGate: 'production is in a blocked deploy window' }) })),
    running(
      'release/api/2.0.0',
      '2026-11-27T09:00:00.000Z',
      status({
        service: 'api',
        version: '2.0.0',
        author: 'carol',
        stage: 'approval',
        waitingFor: 'an approval from dave',
        hold: { environment: 'production', until: '2026-11-30T06:00:00.000Z', untilLocal: 'Mon 2026-11-30 06:00 UTC', reasons: ['production is in a blocked deploy window'] },
      }),
    ),
    running('release/cart/3.1.0', '2026-11-27T12:00:00.000Z'),
    running('release/shop/1.0.1', '2026-11-27T14:30:00.000Z', status({ service: 'shop', version: '1.0.1', stage: 'done', outcome: 'succeeded', rollout: canary({ phase: 'promoted' }) })),
  ];
  const inFlight = buildBoardView(inputs({ releases }), FRIDAY_AFTERNOON).inFlight;

  test('are listed oldest first', () => {
    expect(inFlight.map((r) => r.workflowId)).toEqual(['release/api/2.0.0', 'release/cart/3.1.0', 'release/shop/1.1.0', 'release/shop/1.0.1']);
  });

  test('a release started at the same instant as another is ordered by its workflow ID', () => {
    const tied = buildBoardView(inputs({ releases: [running('release/b/1', '2026-11-27T09:00:00.000Z'), running('release/a/1', '2026-11-27T09:00:00.000Z')] }), FRIDAY_AFTERNOON);
    expect(tied.inFlight.map((r) => r.workflowId)).toEqual(['release/a/1', 'release/b/1']);
  });

  test('a canary shows its weights, its step counted from 1, the weight of every step and what stops it', () => {
    expect(inFlight[2]).toEqual({
      workflowId: 'release/shop/1.1.0',
      link: 'http://ui:8233/namespaces/default/workflows/release%2Fshop%2F1.1.0/run-1.1.0/history',
      service: 'shop',
      version: '1.1.0',
      author: 'alice',
      stage: 'production',
      startedAt: '2026-11-27T14:00:00.000Z',
      rollout: { strategy: 'canary', phase: 'progressing', weights: { stable: 75, canary: 25 }, step: 2, steps: [5, 25, 50, 100], stoppedBy: 'paused by bob: checking the error rate' },
    });
  });

  test('a canary held by its change gate says so, and one that nothing stops has no stoppedBy', () => {
    const gated = running('release/shop/1.1.0', '2026-11-27T14:00:00.000Z', status({ service: 'shop', version: '1.1.0', rollout: canary({ changeGate: 'change freeze F1 declared by oncall' }) }));
    const moving = running('release/api/2.0.0', '2026-11-27T15:00:00.000Z', status({ service: 'api', version: '2.0.0', rollout: canary() }));
    const [first, second] = buildBoardView(inputs({ releases: [gated, moving] }), FRIDAY_AFTERNOON).inFlight;
    expect(first.rollout?.stoppedBy).toBe('change freeze F1 declared by oncall');
    expect(second.rollout).toBeDefined();
    expect(second.rollout).not.toHaveProperty('stoppedBy');
  });

  test('a blue/green rollout has no step', () => {
    const blueGreen = running('release/api/2.0.0', '2026-11-27T15:00:00.000Z', status({ service: 'api', version: '2.0.0', rollout: canary({ strategy: 'blueGreen', phase: 'waiting_for_switch', weights: { stable: 100, canary: 0 }, step: undefined, steps: [] }) }));
    expect(buildBoardView(inputs({ releases: [blueGreen] }), FRIDAY_AFTERNOON).inFlight[0].rollout).toEqual({ strategy: 'blueGreen', phase: 'waiting_for_switch', weights: { stable: 100, canary: 0 }, steps: [] });
  });

  test('what a release waits for and the change gate holding it, in words', () => {
    expect(inFlight[0]).toMatchObject({
      author: 'carol',
      stage: 'approval',
      waitingFor: 'an approval from dave',
      hold: 'production: production is in a blocked deploy window (until Mon 2026-11-30 06:00 UTC)',
    });
    expect(inFlight[0]).not.toHaveProperty('rollout');
  });

  test('a release whose status could not be read shows stage unknown, its service and version taken from its workflow ID', () => {
    expect(inFlight[1]).toEqual({
      workflowId: 'release/cart/3.1.0',
      link: 'http://ui:8233/namespaces/default/workflows/release%2Fcart%2F3.1.0/run-3.1.0/history',
      service: 'cart',
      version: '3.1.0',
      author: '?',
      stage: 'unknown',
      startedAt: '2026-11-27T12:00:00.000Z',
    });
  });

  test('a release that has its outcome shows no rollout', () => {
    expect(inFlight[3]).toMatchObject({ stage: 'done' });
    expect(inFlight[3]).not.toHaveProperty('rollout');
  });
});

describe('freezes, quarantines, problems', () => {
  test('each freeze in force says where it holds', () => {
    const calendar: CalendarView = {
      active: [freeze('F1'), freeze('F2', { services: ['shop'], environments: ['production'], until: '2026-11-28T00:00:00.000Z' }), freeze('F3', { services: ['shop', 'api'] })],
      ended: [freeze('F0', { ended: { at: '2026-11-26T00:00:00.000Z', by: 'oncall' } })],
    };
    expect(buildBoardView(inputs({ calendar }), FRIDAY_AFTERNOON).freezes).toEqual([
      { id: 'F1', by: 'oncall', reason: 'incident F1', scope: 'every service in every environment', declaredAt: '2026-11-27T08:00:00.000Z' },
      { id: 'F2', by: 'oncall', reason: 'incident F2', scope: 'shop in production', declaredAt: '2026-11-27T08:00:00.000Z', until: '2026-11-28T00:00:00.000Z' },
      { id: 'F3', by: 'oncall', reason: 'incident F3', scope: 'shop, api in every environment', declaredAt: '2026-11-27T08:00:00.000Z' },
    ]);
  });

  test('the versions in quarantine are listed; a calendar recorded before quarantines lists none', () => {
    const calendar: CalendarView = {
      active: [],
      ended: [],
      quarantined: [{ service: 'shop', version: '1.2.0', by: 'erin', reason: 'corrupts carts', at: '2026-11-27T10:00:00.000Z' }],
      lifted: [{ service: 'shop', version: '1.1.9', by: 'erin', reason: 'old', at: '2026-11-20T10:00:00.000Z', lifted: { at: '2026-11-21T10:00:00.000Z', by: 'erin' } }],
    };
    expect(buildBoardView(inputs({ calendar }), FRIDAY_AFTERNOON).quarantined).toEqual([{ service: 'shop', version: '1.2.0', by: 'erin', reason: 'corrupts carts' }]);
    expect(buildBoardView(inputs(), FRIDAY_AFTERNOON).quarantined).toEqual([]);
  });

  test('what could not be read is passed on, with the task queue and when the board was read', () => {
    const view = buildBoardView(inputs({ taskQueue: 'shop-queue', problems: ['change calendar: timed out'] }), FRIDAY_AFTERNOON);
    expect(view.problems).toEqual(['change calendar: timed out']);
    expect(view.taskQueue).toBe('shop-queue');
    expect(view.generatedAt).toBe(new Date(FRIDAY_AFTERNOON).toISOString());
  });
});

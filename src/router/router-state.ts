import { routeTableValidationProblems } from '../contracts/route-table-validation';
import type { Route } from '../contracts/routes';
import { readJsonFile, writeJsonAtomic } from '../providers/state-dir';
import type { RoutingPolicy } from './choose-route';

/** The state file: what a restarted router needs to route as it did before. */
interface StateFile {
  routes: Route[];
  canaryUsers: string[];
  updatedAt: string;
}

/** The state file exists but cannot be used; the router refuses to start rather than route wrongly. */
export class UnusableStateError extends Error {
  constructor(file: string, reason: string) {
    super(`router state file ${file} cannot be used: ${reason}; fix it or delete it (the router then starts with no routes)`);
    this.name = 'UnusableStateError';
  }
}

/**
 * The route table and options in force. Every change is written to the state file
 * (atomically) before it takes effect, so what the router serves and what a restart
 * would serve never differ. Changes are applied one at a time, in the order they arrive.
 *
 * The proxy reads {@link policy} once per request; a change swaps the whole object, so
 * a request routed before it keeps its backend and every later one sees the new table.
 */
export class RouterState {
  private current: RoutingPolicy = { routes: [], canaryUsers: new Set() };
  private writes: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  private constructor(file: string) {
    this.file = file;
  }

  static async load(file: string): Promise<RouterState> {
    const state = new RouterState(file);
    let saved: StateFile | undefined;
    try {
      saved = await readJsonFile<StateFile>(file);
    } catch (err) {
      throw new UnusableStateError(file, err instanceof Error ? err.message : String(err));
    }
    if (saved) {
      const problems = routeTableValidationProblems(saved.routes);
      if (problems.length > 0) throw new UnusableStateError(file, problems.join('; '));
      if (!Array.isArray(saved.canaryUsers) || !saved.canaryUsers.every((u) => typeof u === 'string')) {
        throw new UnusableStateError(file, 'canaryUsers is not a list of strings');
      }
      state.current = { routes: saved.routes, canaryUsers: new Set(saved.canaryUsers) };
    }
    return state;
  }

  get policy(): RoutingPolicy {
    return this.current;
  }

  get routes(): Route[] {
    return this.current.routes;
  }

  get canaryUsers(): string[] {
    return [...this.current.canaryUsers];
  }

  /** Replaces the table; the caller has validated it. */
  setRoutes(routes: Route[]): Promise<void> {
    const copy = routes.map((r) => ({ ...r }));
    return this.change((policy) => ({ routes: copy, canaryUsers: policy.canaryUsers }));
  }

  setCanaryUsers(canaryUsers: string[]): Promise<void> {
    return this.change((policy) => ({ routes: policy.routes, canaryUsers: new Set(canaryUsers) }));
  }

  /** `update` runs when the change's turn comes, so it builds on every change queued before it. */
  private change(update: (policy: RoutingPolicy) => RoutingPolicy): Promise<void> {
    const write = this.writes.then(async () => {
      const next = update(this.current);
      const saved: StateFile = { routes: next.routes, canaryUsers: [...next.canaryUsers], updatedAt: new Date().toISOString() };
      await writeJsonAtomic(this.file, saved);
      this.current = next;
    });
    // A failed write must not block the ones after it; its caller still sees the failure.
    this.writes = write.catch(() => undefined);
    return write;
  }
}

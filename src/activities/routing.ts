import { ApplicationFailure } from '@temporalio/activity';
import type { RouterConfig } from '../config/progressive-delivery';
import { InvalidRoutesError, routeTableValidationProblems } from '../contracts/route-table-validation';
import type { Route } from '../contracts/routes';
import type { RouterEndpoint, RouterOptions, RouterProvider } from '../providers/router/router';
import { heartbeatWhile } from './heartbeat-while';

export interface RouterLocator {
  service: string;
  environment: string;
  router: RouterConfig;
}

export type SetRoutesInput = RouterLocator & { routes: Route[] };

/**
 * `routerFor` turns a service environment's router config into a provider; the worker
 * wires `createRouterProvider`, tests may wire anything that implements the interface.
 * Every activity is idempotent: ensuring a running router, or setting the table in
 * force, changes nothing.
 */
export function createRoutingActivities(routerFor: (config: RouterConfig) => RouterProvider) {
  return {
    /** Starts the environment's router if it does not run (embedded) or checks it answers (HAProxy). */
    async ensureRouter(input: RouterLocator): Promise<RouterEndpoint> {
      const endpoint = await heartbeatWhile(
        `starting the router of ${input.service}/${input.environment}`,
        routerFor(input.router).ensureRouter(input.service, input.environment, routerOptionsOf(input.router)),
      );
      return { url: endpoint.url };
    },

    /** Replaces the route table. A table no router would accept is final: retrying cannot fix it. */
    async setRoutes(input: SetRoutesInput): Promise<void> {
      const where = `${input.service}/${input.environment}`;
      const problems = routeTableValidationProblems(input.routes);
      if (problems.length > 0) throw invalidRoutes(where, problems);
      try {
        await routerFor(input.router).setRoutes(input.service, input.environment, input.routes);
      } catch (err) {
        if (err instanceof InvalidRoutesError) throw invalidRoutes(where, err.problems, err);
        throw err;
      }
    },

    async getRoutes(input: RouterLocator): Promise<Route[]> {
      return routerFor(input.router).getRoutes(input.service, input.environment);
    },
  };
}

/** What the config says about routing that the router needs at run time. */
export function routerOptionsOf(config: RouterConfig): RouterOptions | undefined {
  return config.kind === 'embedded' ? { canaryUsers: config.canaryUsers } : undefined;
}

function invalidRoutes(where: string, problems: string[], cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidRoutes',
    nonRetryable: true,
    message: `invalid route table for ${where}: ${problems.join('; ')}`,
    details: [problems],
    cause,
  });
}

import path from 'node:path';
import type { RouterConfig } from '../../config/progressive-delivery';
import { EmbeddedRouterProvider } from './embedded-router-provider';
import { HaproxyRouterProvider } from './haproxy-router-provider';
import type { RouterProvider } from './router';

/** Where embedded routers keep their records and state: `<GANTRY_HOME>/routers`. */
export function embeddedRoutersDir(home: string): string {
  return path.join(home, 'routers');
}

/** Where the HAProxy provider remembers versions per backend: `<GANTRY_HOME>/haproxy`. */
export function haproxySidecarDir(home: string): string {
  return path.join(home, 'haproxy');
}

/**
 * The router a service environment's `router:` config names. `home` is GANTRY_HOME.
 * The embedded router's allow-list travels with each ensureRouter call (see
 * {@link routerOptionsOf}), not with the provider, so one provider serves every service.
 */
export function createRouterProvider(config: RouterConfig, home: string): RouterProvider {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedRouterProvider({ root: embeddedRoutersDir(home) });
    case 'haproxy':
      return new HaproxyRouterProvider({ socket: config.socket, backend: config.backend, url: config.url, stateDir: haproxySidecarDir(home) });
  }
}

import type { PlatformCatalogue } from '../catalogue/platform-catalogue';
import type { ResolvedTarget } from './target-runtime';

/**
 * Reads an environment's target from the catalogue the worker holds, refreshed first so
 * a changed target counts from the next call. A service or environment the catalogue no
 * longer declares runs on `local`, the target every environment had before targets could
 * be chosen. With no catalogue loaded at all nothing can be told, and guessing `local`
 * for a command target would deploy on the wrong platform: the call fails and is retried.
 */
export function catalogueTargetOf(catalogue: PlatformCatalogue): (service: string, environment: string) => Promise<ResolvedTarget> {
  return async (service, environment) => {
    const state = await catalogue.refresh();
    const inForce = state.inForce;
    if (!inForce) {
      throw new Error(
        `cannot tell which target runs ${service} in ${environment}: the platform's catalogue (${catalogue.location}) is not loaded (${state.lastError?.message ?? 'not loaded yet'}); fix it and the call is retried`,
      );
    }
    const services = inForce.catalogue.catalogue.services;
    const declared = Object.hasOwn(services, service) ? services[service].environments : {};
    const target = Object.hasOwn(declared, environment) ? declared[environment].target : 'local';
    return { target, ...(inForce.catalogue.repositoryBase ? { catalogueDir: inForce.catalogue.repositoryBase } : {}) };
  };
}

import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import type { CatalogueReport } from '../shared/catalogue-report';

/**
 * What the platform enforces, as the worker that answers holds it: `gantry catalogue
 * show` and `gantry doctor` ask through Temporal, so they see the worker's catalogue,
 * not a file on the machine they run on.
 */
export function createCatalogueActivities(catalogue: PlatformCatalogue) {
  return {
    async describeCatalogue(request: { service?: string }): Promise<CatalogueReport> {
      const state = await catalogue.refresh(Context.current().cancellationSignal);
      const inForce = state.inForce;
      const services = inForce ? inForce.catalogue.catalogue.services : {};
      return {
        worker: `${process.pid}@${hostname()}`,
        location: catalogue.location,
        ...(inForce
          ? {
              inForce: {
                digest: inForce.digest,
                ...(inForce.revision ? { revision: inForce.revision } : {}),
                loadedAt: inForce.loadedAt,
                services: Object.fromEntries(
                  Object.entries(services)
                    .filter(([name]) => !request.service || name === request.service)
                    .map(([name]) => {
                      const resolved = inForce.catalogue.service(name);
                      return [name, { repository: resolved.repository, directory: resolved.directory, definition: resolved.config }];
                    }),
                ),
              },
            }
          : {}),
        ...(state.lastError ? { lastError: state.lastError } : {}),
      };
    },
  };
}

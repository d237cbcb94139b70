import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import type { CatalogueReport } from '../shared/catalogue-report';
import type { CalendarAuthority } from '../policy/calendar-authority';

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

    /**
     * The roles that decide who may change the change calendar, read when someone asks
     * (so a role given or taken away counts at once): the catalogue's, and those of the
     * services named (each with the catalogue's merged in, as validation did).
     */
    async calendarAuthority(request: { services: string[] }): Promise<CalendarAuthority> {
      const inForce = (await catalogue.refresh(Context.current().cancellationSignal)).inForce;
      if (!inForce) throw new Error("the platform's catalogue is not loaded, so nobody's role can be checked");
      const { roles, groups, services } = inForce.catalogue.catalogue;
      const holders = (definition: { roles?: CalendarAuthority['catalogue']['roles']; groups?: CalendarAuthority['catalogue']['groups'] }) => ({
        ...(definition.roles ? { roles: definition.roles } : {}),
        ...(definition.groups ? { groups: definition.groups } : {}),
      });
      return {
        catalogue: holders({ roles, groups }),
        services: Object.fromEntries(request.services.filter((name) => services[name]).map((name) => [name, holders(services[name])])),
      };
    },
  };
}

import type { ServiceConfig } from '../config/service-catalogue';

/** The platform's catalogue as one worker holds it: what `gantry catalogue show` and `gantry doctor` print. */
export interface CatalogueReport {
  /** Which worker answered (`pid@host`). */
  worker: string;
  /** Where the worker loads the catalogue from. */
  location: string;
  /** The catalogue in force; absent when none ever loaded. */
  inForce?: {
    digest: string;
    revision?: string;
    loadedAt: string;
    services: Record<string, { repository: string; directory: string; definition: ServiceConfig }>;
  };
  /** The last change that failed to load, while it is newer than the one in force. */
  lastError?: { at: string; message: string; digest?: string };
}

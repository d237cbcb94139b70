import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../providers/artifacts/artifact-store';
import type { RuntimeProvider } from '../providers/runtime/runtime';
import { createCommandActivities } from './run-command';
import { createArtifactActivities } from './artifact';
import { createRuntimeActivities } from './runtime';
import { createLockActivities } from './locks';
import { createEnvironmentActivities } from './environments';
import { createChangeCalendarActivities } from './change-calendar';
import { createMeasureActivities } from './measure';
import { createEarlyStopActivities } from './early-stop-watch';
import { createPreviewTrafficActivities } from './preview-traffic';
import { createRoutingActivities } from './routing';
import type { MetricsSourceConfig, RouterConfig } from '../config/progressive-delivery';
import type { MetricsProvider } from '../providers/metrics/metrics';
import type { RouterProvider } from '../providers/router/router';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import type { GitRepositories } from '../providers/source/git-repositories';
import { createAdmissionActivities } from './admission';
import { createCatalogueActivities } from './catalogue';
import { createWorkspaceActivities } from './workspace';
import { createPlacementActivities, type WorkerHost } from './placement';
import { createSignatureActivities } from './signatures';
import type { AuditStore } from '../providers/audit/audit-store';
import { createAuditActivities } from './audit';
import { createReviewActivities } from './review';
import { createMigrationActivities } from './migrations';
import { createFlagActivities } from './flags';
import { flagsFile } from '../providers/flags/file-flag-store';

/** Everything activities need from the outside world; the worker wires real providers. */
export interface ActivityDeps {
  artifacts: ArtifactStore;
  runtime: RuntimeProvider;
  /** Used to talk to other workflows (environment locks). */
  client: Client;
  /** The router a service environment's config names. */
  routerFor: (config: RouterConfig) => RouterProvider;
  /** The metrics source a service environment's config names. */
  metricsFor: (config: MetricsSourceConfig) => MetricsProvider;
  /** The platform's catalogue, held by the worker. */
  catalogue: PlatformCatalogue;
  /** Where services' repositories are fetched and checked out from. */
  repositories: GitRepositories;
  /** Folder that holds each release's checkout. */
  workspacesRoot: string;
  /** This worker's host identity: what it claims, and the queue its machine-local work comes on. */
  host: WorkerHost;
  /** Where recorded decisions are kept (PGlite under the state folder, or PostgreSQL). */
  audit: AuditStore;
  /** Where the quarterly review writes its reports (`<state folder>/reviews`). */
  reviewsRoot: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCommandActivities(),
    ...createArtifactActivities(deps.artifacts),
    ...createRuntimeActivities(deps.runtime),
    ...createLockActivities(deps.client),
    ...createEnvironmentActivities(deps.client),
    ...createChangeCalendarActivities(deps.client),
    ...createRoutingActivities(deps.routerFor),
    ...createMeasureActivities(deps.metricsFor),
    ...createEarlyStopActivities(deps.metricsFor),
    ...createPreviewTrafficActivities(),
    ...createAdmissionActivities(deps),
    ...createWorkspaceActivities({ root: deps.workspacesRoot, repositories: deps.repositories, host: deps.host }),
    ...createPlacementActivities({ client: deps.client, host: deps.host }),
    ...createCatalogueActivities(deps.catalogue),
    ...createSignatureActivities(),
    ...createAuditActivities(deps.audit),
    ...createReviewActivities({ audit: deps.audit, reviewsRoot: deps.reviewsRoot, catalogue: deps.catalogue }),
    // Database URLs are read from this worker's environment when a migration runs, never from a workflow.
    ...createMigrationActivities(),
    // The flag store under the worker's state folder (workspaces and reviews live there too): the file its sync endpoint serves.
    ...createFlagActivities({ file: flagsFile(path.dirname(deps.workspacesRoot)), catalogue: deps.catalogue }),
  };
}

export type GantryActivities = ReturnType<typeof createActivities>;

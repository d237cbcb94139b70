import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../providers/artifacts/artifact-store';
import type { RuntimeProvider } from '../providers/runtime/runtime';
import { createCommandActivities } from './run-command';
import { createArtifactActivities } from './artifact';
import { createRuntimeActivities } from './runtime';
import { createLockActivities } from './locks';

/** Everything activities need from the outside world; the worker wires real providers. */
export interface ActivityDeps {
  artifacts: ArtifactStore;
  runtime: RuntimeProvider;
  /** Used to talk to other workflows (environment locks). */
  client: Client;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCommandActivities(),
    ...createArtifactActivities(deps.artifacts),
    ...createRuntimeActivities(deps.runtime),
    ...createLockActivities(deps.client),
  };
}

export type GantryActivities = ReturnType<typeof createActivities>;

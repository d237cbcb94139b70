import { ApplicationFailure, Context } from '@temporalio/activity';
import { ConfigError } from '../config/config-error';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { RepositoryUnreachableError, UnknownCommitError, type GitRepositories } from '../providers/source/git-repositories';
import { checkReleaseRequest } from '../policy/release-request';
import type { Admission, ReleaseRequest } from '../shared/release';
import { heartbeatWhile } from './heartbeat-while';

/** A refusal retrying cannot change: the starter must fix the request, the catalogue or the commit. */
function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'AdmissionRefused', nonRetryable: true, message });
}

/**
 * Admission: the platform's catalogue (held by the worker, never sent by the starter)
 * decides the rules a release gets, and the service's repository decides which commit
 * it builds. The snapshot returned is the release's for its whole life.
 */
export function createAdmissionActivities(deps: { catalogue: PlatformCatalogue; repositories: GitRepositories }) {
  return {
    async admitRelease(request: ReleaseRequest): Promise<Admission> {
      const problems = checkReleaseRequest(request);
      if (problems.length > 0) throw refuse(problems.map((p) => `${p.field} ${p.message}`).join('; '));

      const signal = Context.current().cancellationSignal;
      const state = await deps.catalogue.refresh(signal);
      const inForce = state.inForce;
      if (!inForce) {
        throw refuse(`the platform's catalogue could not be loaded, so no release is admitted: ${state.lastError?.message ?? 'not loaded yet'}`);
      }
      let service;
      try {
        service = inForce.catalogue.service(request.service);
      } catch (err) {
        if (err instanceof ConfigError) throw refuse(`the platform's catalogue (${inForce.location}, ${inForce.digest}) does not know the service: ${err.message}`);
        throw err;
      }

      try {
        const resolved = await heartbeatWhile(
          `resolving ${request.commit} in ${service.repository}`,
          deps.repositories.resolveCommit(service.repository, request.commit, signal),
        );
        return {
          config: service.config,
          catalogue: { digest: inForce.digest, source: inForce.location, ...(inForce.revision ? { revision: inForce.revision } : {}) },
          source: {
            repository: service.repository,
            directory: service.directory,
            requested: request.commit,
            commit: resolved.commit,
            committedAt: resolved.committedAt,
          },
        };
      } catch (err) {
        if (err instanceof UnknownCommitError) throw refuse(err.message);
        // Retried a few times (a network blip is not a verdict); the release is refused after that.
        if (err instanceof RepositoryUnreachableError) throw ApplicationFailure.create({ type: 'RepositoryUnreachable', message: err.message });
        throw err;
      }
    },
  };
}

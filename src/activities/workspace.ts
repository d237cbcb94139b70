import { stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { RepositoryUnreachableError, type GitRepositories } from '../providers/source/git-repositories';
import type { SourceRevision } from '../shared/provenance-types';
import { heartbeatWhile } from './heartbeat-while';
import type { WorkerHost } from './placement';

export interface WorkspaceRequest {
  /** The release's own name for its checkout (its workflow and run IDs). */
  workspace: string;
  source: SourceRevision;
}

/**
 * Each release builds in a clean checkout of its commit of its own, under
 * `<home>/workspaces`, and removes it when it ends: nothing a previous build left, and
 * nothing on the starter's machine, can reach the artifact.
 */
export function createWorkspaceActivities(deps: { root: string; repositories: GitRepositories; host: WorkerHost }) {
  const folderOf = (workspace: string) => path.join(deps.root, workspace.replace(/[^A-Za-z0-9._-]+/g, '_'));

  return {
    /**
     * Checks out the release's commit (again, if a retry finds a partial one) and returns
     * the folder its commands run in, and the host that holds it: the release's build,
     * tests and artifact go to that host's task queue.
     */
    async prepareWorkspace(request: WorkspaceRequest): Promise<{ root: string; dir: string; host: string; taskQueue: string }> {
      const root = folderOf(request.workspace);
      const { repository, commit, directory } = request.source;
      try {
        await heartbeatWhile(
          `checking out ${commit.slice(0, 12)} of ${repository}`,
          deps.repositories.checkout(repository, commit, root, Context.current().cancellationSignal),
        );
      } catch (err) {
        if (err instanceof RepositoryUnreachableError) throw ApplicationFailure.create({ type: 'RepositoryUnreachable', message: err.message });
        throw err;
      }
      const dir = path.resolve(root, directory);
      const found = await stat(dir).catch(() => undefined);
      if (!found?.isDirectory()) {
        throw ApplicationFailure.create({
          type: 'WorkspaceInvalid',
          nonRetryable: true,
          message: `commit ${commit.slice(0, 12)} of ${repository} has no folder ${JSON.stringify(directory)}; fix the service's directory in the catalogue`,
        });
      }
      return { root, dir, host: deps.host.name, taskQueue: deps.host.queueOf(Context.current().info.taskQueue) };
    },

    async removeWorkspace(request: { workspace: string }): Promise<void> {
      await rm(folderOf(request.workspace), { recursive: true, force: true });
    },
  };
}

import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import type { ProvenanceStatement } from '../../policy/provenance';
import { releaseWorkflowId } from '../../shared/ids';
import { statusQuery } from '../../shared/messages';
import type { ReleaseStatus } from '../../shared/release';
import { invalidInput } from '../exit-codes';
import { renderArtifact } from '../render-artifact';

const print = (text: string) => process.stdout.write(`${text}\n`);

/** The release's status, as the release itself answers it; a release that does not exist is exit 2. */
async function releaseStatus(service: string, version: string): Promise<ReleaseStatus> {
  const client = await connectClient();
  const handle = client.workflow.getHandle(releaseWorkflowId(service, version));
  try {
    // Describe first, as `gantry release` does: it answers "not found" without needing a worker.
    await handle.describe();
    return await handle.query(statusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw invalidInput(`no release of ${service} ${version} exists; start one with \`gantry release start --service ${service} --version ${version} …\``);
    }
    throw err;
  }
}

/** Why there is nothing to show yet, and what to do about it. */
function noArtifactMessage(status: ReleaseStatus): string {
  const name = `${status.service} ${status.version}`;
  if (status.outcome) {
    return `release ${name} ended (${status.outcome}, stage ${status.stage}) before it published an artifact; there is nothing to show. ` +
      `See why with \`gantry release status ${status.service} ${status.version}\``;
  }
  return `release ${name} has no artifact yet (stage ${status.stage}); it is published after the build and tests pass. ` +
    `Follow it with \`gantry release status ${status.service} ${status.version}\``;
}

export function registerArtifactCommands(program: Command): void {
  const artifact = program.command('artifact').description("Inspect a release's artifact and its provenance.");

  artifact
    .command('show <service> <version>')
    .description('Show the artifact of a release: digest, size, and where it came from (source commit, catalogue, commands, run).')
    .option('--json', 'print { artifact, provenance } as one JSON document', false)
    .action(async (service: string, version: string, opts) => {
      const status = await releaseStatus(service, version);
      if (!status.artifact) throw invalidInput(noArtifactMessage(status));
      // Read loosely: the status carries provenance only from the releases that record it.
      const { provenance } = status as { provenance?: ProvenanceStatement };
      if (opts.json) print(JSON.stringify({ artifact: status.artifact, provenance }, null, 2));
      else print(renderArtifact(status.artifact, provenance));
    });
}

import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { checkQuarantineRequest } from '../../policy/quarantine';
import type { Quarantine } from '../../shared/change-calendar';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';

const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string) => process.stdout.write(`${text}\n`);

/** One line per quarantine, as `freeze list` and these commands print it. */
export function describeQuarantine(q: Quarantine): string {
  const lifted = q.lifted ? `; lifted ${q.lifted.at} by ${q.lifted.by}${q.lifted.reason ? ` (${q.lifted.reason})` : ''}` : '; until lifted';
  return `${q.service} ${q.version}  quarantined ${q.at} by ${q.by}: ${q.reason}${lifted}`;
}

function refuseBadInput(what: string, problems: string[]): void {
  if (problems.length > 0) throw invalidInput(`${what}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

/**
 * `gantry release quarantine|unquarantine <service> <version>`: a quarantined version
 * enters no environment (a canary of it raises no traffic) until someone lifts it. The
 * change calendar keeps quarantines, so every release consults them at each gate and is
 * told at once when one is lifted.
 */
export function registerQuarantineCommands(release: Command): void {
  release
    .command('quarantine <service> <version>')
    .description('Stop a version from entering any environment until the quarantine is lifted.')
    .requiredOption('--as <who>', 'who quarantines it (recorded)')
    .option('--reason <text>', 'why (required; every release it holds shows it)')
    .option('--json', 'print the quarantine as JSON', false)
    .action(async (service: string, version: string, opts: { as: string; reason?: string; json: boolean }) => {
      const request = { service, version, by: opts.as, reason: opts.reason ?? '' };
      refuseBadInput(`${service} ${version} not quarantined`, checkQuarantineRequest(request));
      const [{ connectClient }, { quarantineVersion }] = await Promise.all([import('../../client/connect'), import('../../client/change-calendar-client')]);
      try {
        const quarantine = await quarantineVersion(await connectClient(), taskQueue(), request);
        print(opts.json ? JSON.stringify(quarantine, null, 2) : `Quarantined ${describeQuarantine(quarantine)}\nReleases of it hold before every environment until \`gantry release unquarantine ${service} ${version} --as <who>\`.`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw invalidInput(`${service} ${version} not quarantined: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    });

  release
    .command('unquarantine <service> <version>')
    .description('Lift the quarantine of a version: the releases it held go on at once.')
    .requiredOption('--as <who>', 'who lifts it (recorded)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print the lifted quarantine as JSON', false)
    .action(async (service: string, version: string, opts: { as: string; reason?: string; json: boolean }) => {
      const request = { service, version, by: opts.as, ...(opts.reason?.trim() ? { reason: opts.reason.trim() } : {}) };
      refuseBadInput(`the quarantine of ${service} ${version} not lifted`, checkQuarantineRequest(request, true));
      const [{ connectClient }, { liftQuarantine }] = await Promise.all([import('../../client/connect'), import('../../client/change-calendar-client')]);
      try {
        const lifted = await liftQuarantine(await connectClient(), taskQueue(), request);
        print(opts.json ? JSON.stringify(lifted, null, 2) : `Lifted ${describeQuarantine(lifted)}`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw invalidInput(`the quarantine of ${service} ${version} not lifted: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    });
}

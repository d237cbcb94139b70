import type { Command } from 'commander';
import { askPlatformCatalogue } from '../../client/catalogue-client';
import { connectClient } from '../../client/connect';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';
import { renderCatalogue } from '../render-catalogue';

/** `gantry catalogue show [service] [--json]`: the rules the platform enforces, as its workers hold them. */
export function registerCatalogueCommands(program: Command): void {
  const catalogue = program.command('catalogue').description("The platform's service catalogue, as the workers enforce it.");
  catalogue
    .command('show [service]')
    .description('Print the catalogue the workers enforce (or one service of it) and its digest.')
    .option('--json', 'print the report as JSON', false)
    .action(async (service: string | undefined, opts: { json: boolean }) => {
      const client = await connectClient();
      const report = await askPlatformCatalogue(client, process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE, { service });
      if (service && report.inForce && !Object.hasOwn(report.inForce.services, service)) {
        throw invalidInput(`the platform's catalogue (${report.inForce.digest}) does not declare ${service}`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderCatalogue(report, service)}\n`);
    });
}

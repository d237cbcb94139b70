import type { Command } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import { listEnvironments as listEnvironmentsOf } from '../../client/environment-client';
import { environmentQuery, environmentWorkflowId } from '../../shared/environment';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';
import { environmentLine, renderEnvironment } from '../render-environment';

const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string) => process.stdout.write(`${text}\n`);

const listEnvironments = (client: Client, service?: string) => listEnvironmentsOf(client, taskQueue(), service);

/** `gantry env list|status`: what runs where, as the environment entities record it. */
export function registerEnvironmentCommands(program: Command): void {
  const env = program.command('env').description('What runs in each environment, who deploys there now and who waits.');

  env
    .command('list')
    .description('Every environment with what runs there.')
    .option('--service <name>', 'only this service')
    .option('--json', 'print JSON', false)
    .action(async (opts: { service?: string; json: boolean }) => {
      const records = await listEnvironments(await connectClient(), opts.service);
      if (opts.json) print(JSON.stringify(records, null, 2));
      else if (records.length === 0) print(`no environments yet${opts.service ? ` for ${opts.service}` : ''}: they appear with the first release that deploys there`);
      else for (const r of records) print(environmentLine(r));
    });

  env
    .command('status <service> [environment]')
    .description("One environment's record (or every environment of the service).")
    .option('--json', 'print JSON', false)
    .action(async (service: string, environment: string | undefined, opts: { json: boolean }) => {
      const client = await connectClient();
      if (!environment) {
        const records = await listEnvironments(client, service);
        if (records.length === 0) throw invalidInput(`no environment of ${service} has a record yet: they appear with the first release that deploys there`);
        print(opts.json ? JSON.stringify(records, null, 2) : records.map(renderEnvironment).join('\n\n'));
        return;
      }
      try {
        const record = await client.workflow.getHandle(environmentWorkflowId(service, environment, taskQueue())).query(environmentQuery);
        print(opts.json ? JSON.stringify(record, null, 2) : renderEnvironment(record));
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        const known = (await listEnvironments(client, service)).map((r) => r.environment);
        throw invalidInput(
          `no environment ${environment} of ${service} has a record${known.length ? `; ${service} has ${known.join(', ')}` : ''}: environments appear with the first release that deploys there`,
        );
      }
    });
}

import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { checkFreezeDeclaration } from '../../policy/declared-freezes';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';
import { describeFreeze } from '../render-freeze';
import { parseZonedInstant } from '../zoned-instant';
import { describeQuarantine } from './quarantine';

const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string) => process.stdout.write(`${text}\n`);
const list = (text: string | undefined) => (text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean));

/**
 * `gantry freeze start|end|list`: freezes declared now, during an incident. A freeze
 * holds every matching release at its next gate (a canary at its weight) until it is
 * ended or its `--until` passes; only an emergency release passes it.
 */
export function registerFreezeCommands(program: Command): void {
  const freeze = program.command('freeze').description('Declare, end and list change freezes (during an incident: releases halt at their next gate).');

  freeze
    .command('start')
    .description('Declare a freeze now: every matching release halts at its next gate.')
    .requiredOption('--as <who>', 'who declares it (recorded)')
    .option('--reason <text>', 'why (required; every held release shows it)')
    .option('--services <a,b>', 'only these services (default: all)')
    .option('--environments <a,b>', 'only these environments (default: all)')
    .option('--until <instant>', 'when it lifts by itself, ISO 8601 with a zone (default: when ended)')
    .option('--json', 'print the declared freeze as JSON', false)
    .action(async (opts: { as: string; reason?: string; services?: string; environments?: string; until?: string; json: boolean }) => {
      const request = {
        by: opts.as,
        reason: opts.reason ?? '',
        ...(opts.services !== undefined ? { services: list(opts.services) } : {}),
        ...(opts.environments !== undefined ? { environments: list(opts.environments) } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
      };
      const until = opts.until === undefined ? undefined : { text: opts.until, ms: parseZonedInstant(opts.until) };
      const problems = checkFreezeDeclaration({ ...request, until }, Date.now());
      if (problems.length > 0) throw invalidInput(`no freeze declared:\n${problems.map((p) => `  ${p}`).join('\n')}`);
      const [{ connectClient }, { declareFreeze }] = await Promise.all([import('../../client/connect'), import('../../client/change-calendar-client')]);
      const client = await connectClient();
      try {
        const answer = await declareFreeze(client, taskQueue(), request);
        if (opts.json) {
          print(JSON.stringify(answer, null, 2));
          return;
        }
        print(`Declared ${describeFreeze(answer.freeze)}`);
        for (const other of answer.overlaps) print(`  overlaps ${describeFreeze(other)}`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw invalidInput(`no freeze declared: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    });

  freeze
    .command('end <id>')
    .description('End a freeze: the releases it held go on at once.')
    .requiredOption('--as <who>', 'who ends it (recorded)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print the ended freeze as JSON', false)
    .action(async (id: string, opts: { as: string; reason?: string; json: boolean }) => {
      const [{ connectClient }, { endFreeze }] = await Promise.all([import('../../client/connect'), import('../../client/change-calendar-client')]);
      const client = await connectClient();
      try {
        const ended = await endFreeze(client, taskQueue(), { id, by: opts.as, ...(opts.reason ? { reason: opts.reason } : {}) });
        print(opts.json ? JSON.stringify(ended, null, 2) : `Ended ${describeFreeze(ended)}`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw invalidInput(`freeze ${id} not ended: ${err.cause?.message ?? err.message}`);
        if ((err as Error).name === 'WorkflowNotFoundError') throw invalidInput(`freeze ${id} not ended: no freeze was ever declared`);
        throw err;
      }
    });

  freeze
    .command('list')
    .description('The freezes in force and the last ones ended; the versions in quarantine and the last ones lifted.')
    .option('--json', 'print the calendar as JSON', false)
    .action(async (opts: { json: boolean }) => {
      const [{ connectClient }, { readCalendar }] = await Promise.all([import('../../client/connect'), import('../../client/change-calendar-client')]);
      const view = await readCalendar(await connectClient(), taskQueue());
      if (opts.json) {
        print(JSON.stringify(view, null, 2));
        return;
      }
      print(view.active.length ? `In force:\n${view.active.map((f) => `  ${describeFreeze(f)}`).join('\n')}` : 'No freeze in force.');
      if (view.ended.length) print(`Ended recently:\n${view.ended.slice(-5).map((f) => `  ${describeFreeze(f)}`).join('\n')}`);
      const quarantined = view.quarantined ?? [];
      print(quarantined.length ? `Quarantined versions:\n${quarantined.map((q) => `  ${describeQuarantine(q)}`).join('\n')}` : 'No version in quarantine.');
      if (view.lifted?.length) print(`Quarantines lifted recently:\n${view.lifted.slice(-5).map((q) => `  ${describeQuarantine(q)}`).join('\n')}`);
    });
}

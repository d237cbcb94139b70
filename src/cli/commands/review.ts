import type { Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';

const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string): void => void process.stdout.write(`${text}\n`);
/** Five fields (minute hour day-of-month month day-of-week), each of digits, *, /, - and commas; the server checks the rest. */
const CRON = /^\s*([\d*/,-]+\s+){4}[\d*/,-]+\s*$/;

/**
 * `gantry review schedule`: the Temporal Schedule that runs the quarterly review (its
 * report into the worker's state folder, its headline to the catalogue's review webhooks).
 */
export function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('The quarterly review: when it runs, and running it now.');
  review
    .command('schedule')
    .description('Show the Schedule that runs the quarterly review; --enable creates or changes it, --disable pauses it, --trigger runs it now.')
    .option('--enable', 'create the Schedule (or enable it again)')
    .option('--cron <expression>', 'when it runs, in UTC (with --enable; default "0 6 1 1,4,7,10 *", 06:00 on the first day of each quarter)')
    .option('--disable', 'pause it: nothing starts until it is enabled again')
    .option('--trigger', 'run the review now, as the Schedule would')
    .option('--json', 'print the Schedule as JSON')
    .action(async (opts: { enable?: boolean; cron?: string; disable?: boolean; trigger?: boolean; json?: boolean }) => {
      if (opts.enable && opts.disable) throw invalidInput('--enable and --disable together: choose one');
      if (opts.cron !== undefined && !opts.enable) throw invalidInput('--cron is read only with --enable');
      if (opts.cron !== undefined && !CRON.test(opts.cron)) throw invalidInput(`--cron "${opts.cron}" is not a cron expression of five fields, e.g. "0 6 1 1,4,7,10 *"`);
      const [{ connectClient }, schedule] = await Promise.all([import('../../client/connect'), import('../../client/review-schedule')]);
      const client = await connectClient();
      const queue = taskQueue();
      if (opts.enable) {
        try {
          await schedule.enableReviewSchedule(client, queue, opts.cron ?? schedule.DEFAULT_REVIEW_CRON);
        } catch (err) {
          // The server has the last word on a cron expression.
          if ((err as { code?: number }).code === 3 || /invalid/i.test((err as Error).message)) throw invalidInput(`--cron "${opts.cron}": the server refused it: ${(err as Error).message}`);
          throw err;
        }
      }
      if (opts.disable && !(await schedule.disableReviewSchedule(client, queue, 'disabled with gantry review schedule --disable'))) {
        throw invalidInput(`there is no review Schedule on task queue ${queue}; create it with gantry review schedule --enable`);
      }
      if (opts.trigger && !(await schedule.triggerReviewSchedule(client, queue))) {
        throw invalidInput(`there is no review Schedule on task queue ${queue}; create it with gantry review schedule --enable`);
      }
      const view = await schedule.describeReviewSchedule(client, queue);
      if (opts.json) return print(JSON.stringify(view ?? null, null, 2));
      if (!view) return print(`No review Schedule on task queue ${queue}: gantry review schedule --enable creates one (${schedule.DEFAULT_REVIEW_CRON}, UTC).`);
      print(`Review Schedule ${view.id}: cron ${view.cron} (UTC)${view.paused ? `, PAUSED${view.note ? ` (${view.note})` : ''}` : ''}`);
      print(`  next: ${view.paused ? 'none while paused' : view.next.join(', ') || 'none'}`);
      for (const run of view.recent) print(`  ran: ${run.scheduledAt} as ${run.workflowId}`);
      if (opts.trigger) print('  triggered now: the report goes to the worker\'s state folder (reviews/), its headline to the catalogue\'s review webhooks');
    });
}

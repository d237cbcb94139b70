import type { Command } from 'commander';
import { CliError, invalidInput } from '../exit-codes';
import { parseBoardAddress } from '../../board/board-address';

// The worker, the local stack and the demo load the Temporal worker SDK and the
// providers (a few hundred milliseconds): loaded by the commands that run them, so the
// CLI's other commands (`release start` in CI above all) start without them.

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalidInput(`${flag} must be a port number from 1 to 65535, got "${value}"`);
  return n;
}

function boardAddress(value: string) {
  try {
    return parseBoardAddress(value, '--board');
  } catch (err) {
    throw invalidInput((err as Error).message);
  }
}

/**
 * Runs a command of this file, its settings errors (a port already taken, a catalogue
 * location that cannot exist, an unusable worker host or artifact store) reported as
 * invalid input: exit 2, nothing started.
 */
async function settingsErrorsAsInvalidInput(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof CliError) throw err;
    const [{ PortTakenError }, { CatalogueLocationError }, { WorkerSettingError }] = await Promise.all([
      import('../../dev/local-stack'),
      import('../../worker/run-worker'),
      import('../../worker/worker-host'),
    ]);
    if (err instanceof PortTakenError || err instanceof CatalogueLocationError || err instanceof WorkerSettingError) throw invalidInput(err.message);
    throw err;
  }
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function untilStopRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export function registerDevCommands(program: Command): void {
  program
    .command('worker')
    .description('Run a Gantry worker (what production runs); stops gracefully on SIGTERM.')
    .option('--profile <name>', 'temporal.toml profile (default: $TEMPORAL_PROFILE or "default")')
    .option('--task-queue <name>', 'task queue (default: $GANTRY_TASK_QUEUE or "gantry")')
    .action((opts) =>
      settingsErrorsAsInvalidInput(async () => {
        const [{ createLogger }, { runWorker }, { loadConnectionSettings }] = await Promise.all([
          import('../../worker/logger'),
          import('../../worker/run-worker'),
          import('../../worker/connection'),
        ]);
        await runWorker({ settings: loadConnectionSettings({ profile: opts.profile }), logger: createLogger(), taskQueue: opts.taskQueue });
      }),
    );

  program
    .command('dev')
    .description('Run the local stack in the foreground: a Temporal dev server with its UI, and a worker. Ctrl-C stops both.')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Temporal UI port', '8233')
    .action((opts) =>
      settingsErrorsAsInvalidInput(async () => {
        const [{ createLogger }, { runWorker }, { startLocalStack }, { gantryHome }] = await Promise.all([
          import('../../worker/logger'),
          import('../../worker/run-worker'),
          import('../../dev/local-stack'),
          import('../../providers/state-dir'),
        ]);
        const logger = createLogger();
        const home = gantryHome();
        const stack = await startLocalStack({ port: port(opts.port, '--port'), uiPort: port(opts.uiPort, '--ui-port'), home });
        process.stderr.write(
          `Temporal ${stack.server ? 'dev server' : 'server'} at ${stack.settings.address}${stack.uiUrl ? `, UI at ${stack.uiUrl}` : ''}; state in ${home}\n` +
            'Press Ctrl-C to stop.\n',
        );
        try {
          await runWorker({ settings: stack.settings, logger, home, until: untilStopRequested() });
        } finally {
          await stack.stop();
        }
      }),
    );

  program
    .command('demo')
    .description('Bring up the local stack and run a real release of the bundled example service.')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Temporal UI port', '8233')
    .option('--approve-after <seconds>', 'approve as the demo approver if nobody has after this long', '15')
    .option('--freeze-for <seconds>', 'how long the demo\'s change freeze holds the first release before production', '10')
    .option('--keep', 'keep the stack running after the release until Ctrl-C (default on a terminal)')
    .option('--no-keep', 'exit when the release ends')
    .option('--board <address>', 'where the release board listens while the demo runs: PORT or HOST:PORT (0: a free port)', '127.0.0.1:8090')
    .action((opts) =>
      settingsErrorsAsInvalidInput(async () => {
        const approveAfterSeconds = Number(opts.approveAfter);
        if (!Number.isFinite(approveAfterSeconds) || approveAfterSeconds < 0) {
          throw invalidInput(`--approve-after must be a number of seconds, got "${opts.approveAfter}"`);
        }
        const freezeForSeconds = Number(opts.freezeFor);
        if (!Number.isFinite(freezeForSeconds) || freezeForSeconds < 0) {
          throw invalidInput(`--freeze-for must be a number of seconds, got "${opts.freezeFor}"`);
        }
        const { runDemo } = await import('../../demo/run-demo');
        process.exitCode = await runDemo({
          port: port(opts.port, '--port'),
          uiPort: port(opts.uiPort, '--ui-port'),
          approveAfterMs: approveAfterSeconds * 1000,
          freezeForMs: freezeForSeconds * 1000,
          keep: opts.keep ?? Boolean(process.stdout.isTTY),
          board: boardAddress(opts.board),
        });
      }),
    );
}

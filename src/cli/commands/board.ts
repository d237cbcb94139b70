import type { Command } from 'commander';
import { DEFAULT_BOARD_PORT, isLoopback, parseBoardAddress } from '../../board/board-address';
import { parseDuration } from '../../config/duration';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { invalidInput } from '../exit-codes';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

/** The fastest the board reads Temporal: each read lists and queries every running release. */
const MIN_INTERVAL_MS = 250;

/**
 * `gantry board`: the release board, a read-only page of what runs where, the releases in
 * flight (stage, canary weight, what they wait for), freezes and windows, with links into
 * the Temporal UI; it updates itself while open. Loopback only unless `--listen` says
 * otherwise. `--json` prints the board once instead.
 */
export function registerBoardCommand(program: Command): void {
  program
    .command('board')
    .description('Serve the release board: what runs where, releases in flight, freezes and windows, live (read-only; loopback by default).')
    .option('--listen <address>', `where to listen: PORT, HOST:PORT or [IPv6]:PORT (0 picks a free port)`, `127.0.0.1:${DEFAULT_BOARD_PORT}`)
    .option('--interval <duration>', 'how often to read Temporal while somebody watches', '1s')
    .option('--ui-url <url>', "the Temporal UI's address, for links to each release (default: $GANTRY_UI_URL)")
    .option('--json', 'print the board once as JSON and exit')
    .action(async (opts: { listen: string; interval: string; uiUrl?: string; json?: boolean }) => {
      const interval = parseDuration(opts.interval);
      if (interval === undefined || interval < MIN_INTERVAL_MS) throw invalidInput(`--interval "${opts.interval}" is not a duration of at least ${MIN_INTERVAL_MS} ms; write e.g. 1s or 500ms`);
      let address;
      try {
        address = parseBoardAddress(opts.listen, '--listen');
      } catch (err) {
        throw invalidInput((err as Error).message);
      }
      const uiUrl = opts.uiUrl ?? process.env.GANTRY_UI_URL;
      if (uiUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(uiUrl)) throw invalidInput(`--ui-url "${uiUrl}" is not an http(s) URL; write e.g. http://localhost:8233`);

      const [{ connectClient }, { BoardReader }, { startBoardServer }] = await Promise.all([
        import('../../client/connect'),
        import('../../board/read-board'),
        import('../../board/board-server'),
      ]);
      const client = await connectClient();
      const taskQueue = process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
      const reader = new BoardReader({ client, taskQueue, ...(uiUrl ? { ui: { url: uiUrl, namespace: client.options.namespace } } : {}) });
      if (opts.json) {
        print(JSON.stringify(await reader.read(), null, 2));
        return;
      }
      let board;
      try {
        board = await startBoardServer({ ...address, intervalMs: interval, read: () => reader.read(), onReadError: (err) => process.stderr.write(`gantry board: could not read the board: ${err.message}\n`) });
      } catch (err) {
        throw invalidInput(`--listen ${opts.listen}: cannot listen there (${(err as Error).message}); choose another port, or 0 for any free one`);
      }
      print(`Release board of task queue ${taskQueue} at ${board.url}${isLoopback(address.host) ? '' : ' (reachable from other machines: it is read-only, but shows every release)'}`);
      print('Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await board.close();
    });
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type ConnectionSettings, loadConnectionSettings } from '../worker/connection';
import { type DevServer, startDevServer } from './dev-server';
import { isPortInUse } from './ports';

export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

export interface LocalStack {
  settings: ConnectionSettings;
  /** The Temporal UI, when this stack started the server. */
  uiUrl?: string;
  server?: DevServer;
  stop(): Promise<void>;
}

/**
 * The Temporal side of the local stack: a dev server keeping its state in a SQLite file
 * under the state folder (so releases survive a restart), unless TEMPORAL_ADDRESS points
 * at an existing server, in which case nothing is started.
 */
export async function startLocalStack(options: { port: number; uiPort: number; home: string; log?: (line: string) => void }): Promise<LocalStack> {
  if (process.env.TEMPORAL_ADDRESS) {
    return { settings: loadConnectionSettings(), stop: async () => undefined };
  }
  for (const [flag, port] of [['--port', options.port], ['--ui-port', options.uiPort]] as const) {
    if (await isPortInUse('127.0.0.1', port)) {
      throw new PortTakenError(
        `port ${port} (${flag}) is already in use: is another \`gantry dev\` or Temporal server running? ` +
          `Stop it, choose another ${flag}, or set TEMPORAL_ADDRESS to use that server.`,
      );
    }
  }
  mkdirSync(options.home, { recursive: true });
  const server = await startDevServer({
    port: options.port,
    uiPort: options.uiPort,
    dbFile: path.join(options.home, 'temporal.db'),
    log: options.log,
  });
  return {
    settings: loadConnectionSettings({ addressOverride: server.address }),
    uiUrl: server.uiUrl,
    server,
    stop: () => server.stop(),
  };
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type ConnectionSettings, loadConnectionSettings } from '../worker/connection';
import { type DevServer, startDevServer } from './dev-server';

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

/** Link to one workflow in the Temporal UI. */
export function workflowUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

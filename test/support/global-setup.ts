import { type DevServer, startDevServer } from '../../src/dev/dev-server';
import { resolveTemporalCli, resolveTestServer } from '../../src/dev/temporal-binaries';
import { DEV_SERVER_HANDLE, ENV } from './dev-server';

/**
 * jest globalSetup: one Temporal dev server for the whole run (in memory, Gantry's search
 * attributes registered, free ports), plus the resolved Temporal binaries. Tests read them
 * through process.env, which jest hands on to its workers; see ./dev-server.ts.
 * With TEMPORAL_ADDRESS set, no server is started and that cluster is used instead.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // Installs into the cache on first use (a few seconds), printing what it does.
  const cli = await resolveTemporalCli();
  const testServer = await resolveTestServer();
  process.env[ENV.cli] = cli.path;
  process.env[ENV.testServer] = testServer.path;

  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    process.env[ENV.address] = existing;
    process.stderr.write(`\ngantry tests: using the Temporal server at TEMPORAL_ADDRESS=${existing}; starting none\n`);
    return;
  }
  const server: DevServer = await startDevServer({ cliPath: cli.path });
  (globalThis as Record<string, unknown>)[DEV_SERVER_HANDLE] = server;
  process.env[ENV.address] = server.address;
  process.env[ENV.ui] = server.uiUrl;
  process.stderr.write(`\ngantry tests: Temporal dev server at ${server.address}, UI ${server.uiUrl} (ready in ${Date.now() - started} ms)\n`);
}

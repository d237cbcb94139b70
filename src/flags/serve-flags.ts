import { openFileFlagStore, flagsFile } from '../providers/flags/file-flag-store';
import type { FlagStore } from '../providers/flags/flag-store';
import { gantryHome } from '../providers/state-dir';
import { flagSyncListen } from './flag-sync-setting';
import { startFlagSyncServer } from './sync-server';

/**
 * What a worker runs to push flags to applications: the flag store under GANTRY_HOME and,
 * when GANTRY_FLAGS_SYNC asks for it, the flagd sync endpoint serving it. Returns
 * undefined when the endpoint is off; `close()` on shutdown ends the streams (providers
 * reconnect to the next worker) and the store's watcher.
 */
export interface FlagServing {
  store: FlagStore;
  address: string;
  close(): Promise<void>;
}

export async function serveFlags(options: { env?: NodeJS.ProcessEnv; log?: (message: string) => void } = {}): Promise<FlagServing | undefined> {
  const env = options.env ?? process.env;
  const listen = flagSyncListen(env);
  if (!listen) return undefined;
  const store = await openFileFlagStore({ file: flagsFile(gantryHome(env)) });
  try {
    const server = await startFlagSyncServer({ store, listen, log: options.log });
    return {
      store,
      address: server.address,
      close: async () => {
        await server.close();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}

import { Client, Connection } from '@temporalio/client';
import { unreachable } from '../cli/exit-codes';
import { type ConnectionSettings, loadConnectionSettings } from '../worker/connection';

/** Connects a client with the temporal CLI's conventions; failure is exit code 3 with the address named. */
export async function connectClient(settings: ConnectionSettings = loadConnectionSettings()): Promise<Client> {
  try {
    const connection = await Connection.connect({ ...settings.connectionOptions, connectTimeout: '5s' });
    return new Client({ connection, namespace: settings.namespace });
  } catch (err) {
    throw unreachable(
      `cannot reach Temporal at ${settings.address} (namespace ${settings.namespace}): ${(err as Error).message}. ` +
        'Start the local stack with `gantry dev`, or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TLS) for your cluster.',
    );
  }
}

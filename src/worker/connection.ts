import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * Connection settings from the same conventions as the `temporal` CLI: a temporal.toml
 * profile (TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml, TEMPORAL_PROFILE)
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TEMPORAL_TLS*.
 */
export interface ConnectionSettings {
  address: string;
  namespace: string;
  tls: boolean;
  /** Whether an API key is configured; the key itself is never exposed here. */
  hasApiKey: boolean;
  profile: string;
  connectionOptions: NativeConnectionOptions;
}

export const DEFAULT_ADDRESS = 'localhost:7233';

export function loadConnectionSettings(
  options: { profile?: string; env?: NodeJS.ProcessEnv; addressOverride?: string } = {},
): ConnectionSettings {
  const env = options.env ?? process.env;
  const profile = options.profile ?? env.TEMPORAL_PROFILE ?? 'default';
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const loaded = loadClientConnectConfig({ profile, overrideEnvVars });
  const connectionOptions: NativeConnectionOptions = { ...loaded.connectionOptions };
  if (options.addressOverride) connectionOptions.address = options.addressOverride;
  connectionOptions.address ??= DEFAULT_ADDRESS;
  return {
    address: connectionOptions.address,
    namespace: loaded.namespace ?? 'default',
    tls: Boolean(connectionOptions.tls),
    hasApiKey: Boolean(connectionOptions.apiKey),
    profile,
    connectionOptions,
  };
}

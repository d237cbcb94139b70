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

/** The connection settings themselves are wrong (a missing profile, an unreadable file). */
export class ConnectionConfigError extends Error {
  override name = 'ConnectionConfigError';
}

export const DEFAULT_ADDRESS = 'localhost:7233';

export function loadConnectionSettings(
  options: { profile?: string; env?: NodeJS.ProcessEnv; addressOverride?: string } = {},
): ConnectionSettings {
  const env = options.env ?? process.env;
  // Only an explicitly named profile must exist; the implicit "default" may be absent
  // (no temporal.toml at all is the common case on a laptop and in CI).
  const explicitProfile = options.profile ?? env.TEMPORAL_PROFILE;
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ profile: explicitProfile, overrideEnvVars });
  } catch (err) {
    throw new ConnectionConfigError(
      `Temporal connection settings are unusable: ${(err as Error).message}. ` +
        'Check TEMPORAL_PROFILE / --profile and the temporal.toml file (TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml).',
    );
  }
  const profile = explicitProfile ?? 'default';
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

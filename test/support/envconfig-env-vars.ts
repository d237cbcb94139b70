/**
 * The environment variables `@temporalio/envconfig` reads when src/worker/connection.ts
 * hands it the environment (`loadClientConnectConfig({ overrideEnvVars })`). A package's
 * reads are not in our source, so they are listed here as its lib/envconfig-toml.js
 * (version 1.24.0) reads them: `envProvider['NAME']` in tomlLoadClientConfigProfile,
 * applyProfileEnvVars, getTLSFromEnvVars, getCodecFromEnvVars and getUserConfigDir, and
 * the prefix in applyGrpcMetaFromEnvVars. test/unit/compose.test.ts checks this list
 * against the installed package in both directions, so an upgrade that adds or drops a
 * variable fails there instead of going unnoticed.
 */
export const ENVCONFIG_ENV_VARS = [
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
  // Where the default temporal.toml is looked for when TEMPORAL_CONFIG_FILE is unset.
  'XDG_CONFIG_HOME',
  'HOME',
  'APPDATA',
] as const;

/** Every variable starting with this becomes a gRPC header (`TEMPORAL_GRPC_META_X_TENANT` → `x-tenant`). */
export const ENVCONFIG_ENV_PREFIX = 'TEMPORAL_GRPC_META_';

/**
 * Those that hold credentials, never to be written with a literal value into a committed
 * file. A gRPC header may carry one too (authorization), hence the prefix.
 */
const ENVCONFIG_SECRETS: readonly string[] = ['TEMPORAL_API_KEY', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_CODEC_AUTH'];

/** Whether envconfig reads this variable. */
export function envconfigReads(name: string): boolean {
  return (ENVCONFIG_ENV_VARS as readonly string[]).includes(name) || name.startsWith(ENVCONFIG_ENV_PREFIX);
}

/** Whether this variable holds a credential when envconfig reads it. */
export function isEnvconfigSecret(name: string): boolean {
  return ENVCONFIG_SECRETS.includes(name) || name.startsWith(ENVCONFIG_ENV_PREFIX);
}

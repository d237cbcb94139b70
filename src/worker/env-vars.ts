/**
 * Every environment variable `gantry worker` reads. Deployment files (docker-compose.yml,
 * CI examples) are checked against this list by test/unit/compose.test.ts.
 */
export const WORKER_ENV_VARS = [
  /** gRPC address of the Temporal frontend, `host:port`. */
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  /** Secret: Temporal Cloud or proxy API key; enables TLS by default. */
  'TEMPORAL_API_KEY',
  /** `true` / `false`; TLS client certificates come through the temporal.toml profile. */
  'TEMPORAL_TLS',
  /** Profile in temporal.toml to start from (default "default"). */
  'TEMPORAL_PROFILE',
  /** Path of temporal.toml (default ~/.config/temporalio/temporal.toml). */
  'TEMPORAL_CONFIG_FILE',
  /** Task queue the worker polls (default "gantry"). */
  'GANTRY_TASK_QUEUE',
  /** Gantry's state folder: artifacts, audit log, workspaces. */
  'GANTRY_HOME',
  /** Path of the service catalogue (gantry.yaml). */
  'GANTRY_CONFIG',
  /** pino level: trace, debug, info, warn, error. */
  'LOG_LEVEL',
] as const;

export type WorkerEnvVar = (typeof WORKER_ENV_VARS)[number];

/** Variables that hold secrets: never written with a literal value into a committed file. */
export const WORKER_SECRET_ENV_VARS: readonly WorkerEnvVar[] = ['TEMPORAL_API_KEY'];

import type { ArtifactRef, Instance } from '../../shared/release';

/** What it takes to start an artifact. */
export interface StartRequest {
  service: string;
  environment: string;
  artifact: ArtifactRef;
  /** Shell command run inside the unpacked artifact; it must listen on $PORT. */
  command: string;
  /** HTTP path that answers 2xx when the instance is ready. */
  healthPath: string;
  startTimeoutMs: number;
  /** Called while waiting (activities heartbeat through it). */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs versions of a service in an environment. Every verb is idempotent: starting an
 * artifact that already runs healthy returns the running instance; stopping a stopped
 * instance does nothing.
 */
export interface RuntimeProvider {
  /** Starts the artifact beside whatever runs and resolves once its health path answers 2xx. */
  start(request: StartRequest): Promise<Instance>;
  /** The instance serving the environment now, if any. */
  active(service: string, environment: string): Promise<Instance | undefined>;
  /** Makes this (running) instance the one serving the environment. */
  activate(service: string, environment: string, instanceId: string): Promise<void>;
  /** Stops an instance; if it was active, the environment has no active instance afterwards. */
  stop(service: string, environment: string, instanceId: string): Promise<void>;
  /** Every instance this runtime knows for the environment, running or not. */
  list(service: string, environment: string): Promise<Instance[]>;
}

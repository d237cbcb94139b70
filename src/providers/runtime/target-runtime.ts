import type { CommandTargetConfig, TargetConfig } from '../../config/service-catalogue';
import type { Instance } from '../../shared/release';
import type { RuntimeProvider, StartRequest } from './runtime';

/** The target an environment names, and the catalogue's folder (for scripts kept beside it). */
export interface ResolvedTarget {
  target: TargetConfig;
  catalogueDir?: string;
}

export interface TargetRuntimeOptions {
  /** `target: local`: processes on this machine. */
  local: RuntimeProvider;
  /** `target: { kind: command }`: one runtime per distinct target (and catalogue folder). */
  command: (target: CommandTargetConfig, catalogueDir: string | undefined) => RuntimeProvider;
  /** Which target runs a service environment now. */
  targetOf: (service: string, environment: string) => Promise<ResolvedTarget>;
}

/**
 * The runtime activities talk to: every call goes to the runtime of the target the
 * service environment names in the catalogue in force. Workflows never see targets, so
 * releases recorded before targets existed replay unchanged.
 *
 * Changing an environment's target does not move what the old target runs: the next
 * release there starts on the new target with no stable version, and the old one is
 * retired by hand.
 */
export class TargetRuntime implements RuntimeProvider {
  constructor(private readonly options: TargetRuntimeOptions) {}

  async start(request: StartRequest): Promise<Instance> {
    return (await this.runtimeOf(request.service, request.environment)).start(request);
  }

  async active(service: string, environment: string): Promise<Instance | undefined> {
    return (await this.runtimeOf(service, environment)).active(service, environment);
  }

  async activate(service: string, environment: string, instanceId: string): Promise<void> {
    return (await this.runtimeOf(service, environment)).activate(service, environment, instanceId);
  }

  async stop(service: string, environment: string, instanceId: string): Promise<void> {
    return (await this.runtimeOf(service, environment)).stop(service, environment, instanceId);
  }

  async list(service: string, environment: string): Promise<Instance[]> {
    return (await this.runtimeOf(service, environment)).list(service, environment);
  }

  private async runtimeOf(service: string, environment: string): Promise<RuntimeProvider> {
    const { target, catalogueDir } = await this.options.targetOf(service, environment);
    return target === 'local' ? this.options.local : this.options.command(target, catalogueDir);
  }
}

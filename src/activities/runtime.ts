import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Instance } from '../shared/release';
import type { RuntimeProvider, StartRequest } from '../providers/runtime/runtime';
import { heartbeatWhile } from './heartbeat-while';

export type StartInstanceInput = Omit<StartRequest, 'onProgress' | 'signal'>;

export interface InstanceLocator {
  service: string;
  environment: string;
  instanceId: string;
}

export function createRuntimeActivities(runtime: RuntimeProvider) {
  return {
    /**
     * Starts an artifact and waits until it is healthy, heartbeating while it waits.
     * Idempotent: an instance already running healthy is returned as it is. A start
     * that fails is final; the workflow decides what happens next.
     */
    async startInstance(input: StartInstanceInput): Promise<Instance> {
      const ctx = Context.current();
      try {
        return await runtime.start({
          ...input,
          onProgress: (message) => ctx.heartbeat(message),
          signal: ctx.cancellationSignal,
        });
      } catch (err) {
        // Cancelled while starting: report the cancellation itself, not a failed deploy.
        if (ctx.cancellationSignal.aborted) await ctx.cancelled;
        throw ApplicationFailure.create({
          type: 'DeployFailed',
          nonRetryable: true,
          message: err instanceof Error ? err.message : String(err),
          cause: err instanceof Error ? err : undefined,
        });
      }
    },

    /** The instance serving the environment, or null (Temporal payloads have no undefined). */
    async activeInstance(input: { service: string; environment: string }): Promise<Instance | null> {
      return (await runtime.active(input.service, input.environment)) ?? null;
    },

    /** Heartbeats while it works: on a command target, activating runs the target's own command. */
    async activateInstance(input: InstanceLocator): Promise<void> {
      await heartbeatWhile(`activating ${input.instanceId}`, runtime.activate(input.service, input.environment, input.instanceId));
    },

    /** Heartbeats while the instance drains: a stop can take as long as the service's grace period. */
    async stopInstance(input: InstanceLocator): Promise<void> {
      await heartbeatWhile(`stopping ${input.instanceId}`, runtime.stop(input.service, input.environment, input.instanceId));
    },
  };
}

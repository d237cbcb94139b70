import { FlagdProvider } from '@openfeature/flagd-provider';
import { type Client, type EvaluationContext, OpenFeature, ProviderStatus } from '@openfeature/server-sdk';

/**
 * The smallest application that evaluates Gantry's flags the way a team's service does:
 * the stock OpenFeature server SDK with the stock flagd provider, in-process resolver,
 * pointed either at Gantry's sync endpoint (host:port) or at the flag file (file mode).
 * Each app has its own OpenFeature domain, so sync and file mode run side by side.
 */

export type FlagSource = { sync: string; retryBackoffMaxMs?: number } | { file: string };

export interface Evaluation {
  value: boolean;
  variant: string | undefined;
  reason: string | undefined;
  /** Which store revision answered (flag-set metadata the store stamps in). */
  revision: number | undefined;
}

export interface FlagApp {
  evaluate(flag: string, context: EvaluationContext): Promise<Evaluation>;
  status(): ProviderStatus;
  close(): Promise<void>;
}

let domains = 0;

export async function startFlagApp(source: FlagSource): Promise<FlagApp> {
  const provider =
    'sync' in source
      ? new FlagdProvider({
          resolverType: 'in-process',
          host: source.sync.slice(0, source.sync.lastIndexOf(':')),
          port: Number(source.sync.slice(source.sync.lastIndexOf(':') + 1)),
          // The provider's default ends the stream every 10 minutes and is blind until it
          // reconnects; Gantry's stream needs no deadline.
          streamDeadlineMs: 0,
          retryBackoffMs: Math.min(200, source.retryBackoffMaxMs ?? 200),
          retryBackoffMaxMs: source.retryBackoffMaxMs ?? 5_000,
        })
      : new FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: source.file });
  const domain = `flag-app-${++domains}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  const client: Client = OpenFeature.getClient(domain);
  return {
    async evaluate(flag, context) {
      const details = await client.getBooleanDetails(flag, false, context);
      const revision = details.flagMetadata.gantryRevision;
      return { value: details.value, variant: details.variant, reason: details.reason, revision: typeof revision === 'number' ? revision : undefined };
    },
    status: () => client.providerStatus,
    async close() {
      // Closing while the provider waits to reconnect hangs (FLAGS-AUDIT.md): only close a
      // provider that is connected.
      await provider.onClose();
    },
  };
}

/** Evaluates every few milliseconds until `predicate` holds; returns when it did. */
export async function evaluateUntil(app: FlagApp, flag: string, context: EvaluationContext, predicate: (e: Evaluation) => boolean, timeoutMs = 10_000, everyMs = 2): Promise<Evaluation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const evaluation = await app.evaluate(flag, context);
    if (predicate(evaluation)) return evaluation;
    if (Date.now() > deadline) throw new Error(`${flag} for ${JSON.stringify(context)} is still ${JSON.stringify(evaluation)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

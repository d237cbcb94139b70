/**
 * The demo's traffic: a few loops of real requests to a router on this machine, so the
 * canary and blue/green analyses judge real measurements. Bounded: loopback addresses
 * only, a pause between requests, and a hard stop after `maxMs`.
 */
export interface DemoLoad {
  /** Answers per version, from the router's `x-gantry-version` header. */
  served: Map<string, { ok: number; failed: number }>;
  stop(): Promise<void>;
}

export function startDemoLoad(url: string, options: { loops?: number; pauseMs?: number; maxMs?: number } = {}): DemoLoad {
  const { hostname } = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    throw new Error(`the demo sends traffic only to this machine; ${url} is not a loopback address`);
  }
  const served = new Map<string, { ok: number; failed: number }>();
  const deadline = Date.now() + (options.maxMs ?? 15 * 60_000);
  let stopped = false;
  let user = 0;
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      user = (user + 1) % 1000;
      let version = 'unreachable';
      let ok = false;
      try {
        const response = await fetch(url, { headers: { 'x-gantry-user': `demo-user-${user}` }, signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        version = response.headers.get('x-gantry-version') ?? 'none';
        ok = response.status < 500;
      } catch {
        // counted as a failure of "unreachable"
      }
      const entry = served.get(version) ?? { ok: 0, failed: 0 };
      if (ok) entry.ok += 1;
      else entry.failed += 1;
      served.set(version, entry);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 25));
    }
  };
  const running = Array.from({ length: options.loops ?? 4 }, loop);
  return {
    served,
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** "1.1.0: 812 ok, 0 failed; 1.2.0-bad: 31 ok, 14 failed" */
export function describeServed(served: DemoLoad['served']): string {
  return [...served.entries()].map(([version, c]) => `${version}: ${c.ok} ok, ${c.failed} failed`).join('; ') || 'nothing yet';
}

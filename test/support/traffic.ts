import { VERSION_HEADER } from '../../src/contracts/headers';
import { type E2EStack } from './e2e-stack';

/** `gantry release start … --wait --json` for one version, with its result document parsed. */
export async function releaseAndWait(stack: E2EStack, service: string, version: string) {
  const result = await stack.gantry(['release', 'start', '--service', service, '--version', version, '--commit', stack.commit, '--author', 'alice', '--wait', '--json']);
  return { ...result, doc: result.stdout ? JSON.parse(result.stdout) : undefined };
}

/** Which versions answer through a router right now, over `n` requests from different users. */
export async function versionsServing(url: string, n = 60): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(url, { headers: { 'x-gantry-user': `probe-${i}` } });
    await response.arrayBuffer();
    const v = response.headers.get(VERSION_HEADER) ?? 'none';
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}

import type { DevServer } from '../../src/dev/dev-server';
import { DEV_SERVER_HANDLE } from './dev-server';

/** jest globalTeardown: stops the dev server that global-setup.ts started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const handles = globalThis as Record<string, unknown>;
  const server = handles[DEV_SERVER_HANDLE] as DevServer | undefined;
  delete handles[DEV_SERVER_HANDLE];
  await server?.stop();
}

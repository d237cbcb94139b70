import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FlagSyncServer, startFlagSyncServer } from '../../src/flags/sync-server';
import { openFileFlagStore } from '../../src/providers/flags/file-flag-store';
import type { FlagStore } from '../../src/providers/flags/flag-store';
import { findFreePort } from '../../src/providers/process/free-port';
import { allowList, killed } from './fixtures';

const SERVER = path.join(__dirname, '..', '..', 'examples', 'web', 'src', 'server.js');

/** examples/web with its optional flags: the stock SDK and flagd provider, fed by Gantry's sync stream. */
describe('the example service evaluates its flags through the sync stream', () => {
  let dir: string;
  let store: FlagStore;
  let sync: FlagSyncServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gantry-example-flags-'));
    store = await openFileFlagStore({ file: path.join(dir, 'flags.json') });
    await store.write(allowList());
    sync = await startFlagSyncServer({ store, listen: '127.0.0.1:0' });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sync.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startService(env: Record<string, string>): Promise<{ url: string; output: () => string }> {
    const port = await findFreePort();
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ready = env.GANTRY_FLAGS_SYNC ? 'flags: sync' : 'listening on';
    await waitUntil(() => output.includes(ready), 10_000, () => output);
    return { url: `http://127.0.0.1:${port}/`, output: () => output };
  }

  const ask = async (url: string, email: string) => {
    const response = await fetch(url, { headers: { 'x-user': email, 'x-user-email': email } });
    return { label: response.headers.get('x-flag-new-checkout'), body: (await response.json()) as Record<string, unknown> };
  };

  test('each answer carries the variant, and a kill reaches the service at once', async () => {
    const service = await startService({ GANTRY_FLAGS_SYNC: sync.address });
    expect(await ask(service.url, 'ann@example.com')).toEqual({ label: 'on', body: { service: 'web', version: '0.0.0-dev', flags: { 'new-checkout': 'on' } } });
    expect((await ask(service.url, 'eve@other.example')).label).toBe('off');
    await store.write(killed());
    const started = Date.now();
    let label: string | null = 'on';
    while (label !== 'off' && Date.now() - started < 2_000) label = (await ask(service.url, 'ann@example.com')).label;
    expect(label).toBe('off');
  });

  test('without flags configured the answer is as it always was', async () => {
    const service = await startService({ GANTRY_FLAGS_SYNC: '', GANTRY_FLAGS_FILE: '' });
    expect(await ask(service.url, 'ann@example.com')).toEqual({ label: null, body: { service: 'web', version: '0.0.0-dev' } });
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

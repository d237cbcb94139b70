import { type ServiceError, credentials } from '@grpc/grpc-js';
import { ProviderStatus } from '@openfeature/server-sdk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadFlagSyncService } from '../../src/flags/flag-sync-proto';
import { type FlagSyncServer, startFlagSyncServer } from '../../src/flags/sync-server';
import { openFileFlagStore } from '../../src/providers/flags/file-flag-store';
import type { FlagStore } from '../../src/providers/flags/flag-store';
import { type FlagApp, evaluateUntil, startFlagApp } from './flag-app';
import { allowList, darkFlag, killed, percentage } from './fixtures';

const FLAG = 'new-checkout';
const users = Array.from({ length: 1_000 }, (_, i) => ({ targetingKey: `user-${i}`, email: `user-${i}@example.net` }));

describe('flags pushed to an application through the flagd sync stream', () => {
  let dir: string;
  let store: FlagStore;
  let server: FlagSyncServer;
  let app: FlagApp;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gantry-flag-sync-'));
    store = await openFileFlagStore({ file: path.join(dir, 'flags', 'flags.json') });
    await store.write(darkFlag());
    server = await startFlagSyncServer({ store, listen: '127.0.0.1:0' });
    app = await startFlagApp({ sync: server.address, retryBackoffMaxMs: 300 });
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes and waits until the application answers from that revision. */
  async function push(document: Parameters<FlagStore['write']>[0]): Promise<{ revision: number; ms: number }> {
    const { revision } = await store.write(document);
    const started = performance.now();
    await evaluateUntil(app, FLAG, users[0], (e) => e.revision === revision);
    return { revision, ms: performance.now() - started };
  }

  test('dark: merged behind the flag, off for everyone', async () => {
    for (const email of ['ann@example.com', 'dave@corp.example', 'eve@other.example']) {
      expect(await app.evaluate(FLAG, { targetingKey: email, email })).toMatchObject({ value: false, variant: 'off', revision: 1 });
    }
  });

  test('an allow-list (in on the e-mail) and internal users (ends_with on the domain)', async () => {
    const { ms } = await push(allowList());
    expect(ms).toBeLessThan(1_000);
    const seen = async (email: string) => (await app.evaluate(FLAG, { targetingKey: email, email })).variant;
    expect(await seen('ann@example.com')).toBe('on');
    expect(await seen('bob@example.com')).toBe('on');
    expect(await seen('dave@corp.example')).toBe('on');
    expect(await seen('eve@other.example')).toBe('off');
    expect(await seen('ann@example.com.evil')).toBe('off');
  });

  test('a sticky percentage: about 25 % on, each user keeps its variant, and 50 % keeps the first 25 %', async () => {
    await push(percentage(25));
    const first = await Promise.all(users.map(async (user) => (await app.evaluate(FLAG, user)).variant));
    const again = await Promise.all(users.map(async (user) => (await app.evaluate(FLAG, user)).variant));
    expect(again).toEqual(first);
    const on = first.filter((variant) => variant === 'on').length;
    expect(on).toBeGreaterThan(200);
    expect(on).toBeLessThan(300);

    await push(percentage(50));
    const wider = await Promise.all(users.map(async (user) => (await app.evaluate(FLAG, user)).variant));
    expect(first.every((variant, i) => variant !== 'on' || wider[i] === 'on')).toBe(true);
    expect(wider.filter((variant) => variant === 'on').length).toBeGreaterThan(on);
  });

  test('the kill switch: off for everyone, pushed in well under a second', async () => {
    const { ms } = await push(killed());
    expect(ms).toBeLessThan(1_000);
    const variants = await Promise.all(users.map(async (user) => (await app.evaluate(FLAG, user)).variant));
    expect(new Set(variants)).toEqual(new Set(['off']));
  });

  test('a DISABLED flag answers with the code default, as flagd does', async () => {
    const disabled = killed();
    disabled.flags[FLAG].state = 'DISABLED';
    const { revision } = await store.write(disabled);
    const evaluation = await evaluateUntil(app, FLAG, users[0], (e) => e.reason !== 'STATIC');
    expect(evaluation).toMatchObject({ value: false, variant: undefined });
    expect((await store.read()).revision).toBe(revision);
    await push(killed());
  });

  test('FetchAllFlags and GetMetadata answer from the store', async () => {
    const FlagSyncService = loadFlagSyncService();
    const client = new FlagSyncService(server.address, credentials.createInsecure());
    try {
      const all = await new Promise<{ flagConfiguration: string }>((resolve, reject) =>
        client.FetchAllFlags({}, (err: ServiceError | null, response: { flagConfiguration: string }) => (err ? reject(err) : resolve(response))),
      );
      expect(all.flagConfiguration).toBe((await store.read()).text);
      const metadata = await new Promise<{ metadata: { fields: Record<string, unknown> } }>((resolve, reject) =>
        client.GetMetadata({}, (err: ServiceError | null, response: { metadata: { fields: Record<string, unknown> } }) => (err ? reject(err) : resolve(response))),
      );
      expect(metadata.metadata.fields.revision).toMatchObject({ numberValue: (await store.read()).revision });
    } finally {
      client.close();
    }
  });

  test('the stream survives a Gantry restart: the last flags are served meanwhile, the current ones after', async () => {
    const before = (await app.evaluate(FLAG, users[0])).revision;
    await server.close();
    // Changed while nobody serves: the application keeps the flags it had.
    const { revision } = await store.write(allowList());
    expect(await app.evaluate(FLAG, { targetingKey: 'ann', email: 'ann@example.com' })).toMatchObject({ variant: 'off', revision: before });

    server = await startFlagSyncServer({ store, listen: server.address });
    const started = performance.now();
    await evaluateUntil(app, FLAG, { targetingKey: 'ann', email: 'ann@example.com' }, (e) => e.revision === revision && e.variant === 'on', 10_000, 10);
    expect(performance.now() - started).toBeLessThan(5_000);
    await evaluateUntil(app, FLAG, users[0], () => app.status() === ProviderStatus.READY);
    // And pushes flow again on the new stream.
    const { ms } = await push(killed());
    expect(ms).toBeLessThan(1_000);
  });
});

describe('file mode, the zero-infrastructure fallback', () => {
  test('the provider reads the store file directly and sees a change at its next poll', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-flag-file-'));
    const file = path.join(dir, 'flags', 'flags.json');
    const store = await openFileFlagStore({ file, watch: false });
    try {
      await store.write(allowList());
      const app = await startFlagApp({ file });
      try {
        expect(await app.evaluate(FLAG, { targetingKey: 'ann', email: 'ann@example.com' })).toMatchObject({ variant: 'on', revision: 1 });
        await store.write(killed());
        // fs.watchFile polls about every 5 s: slow, but it gets there.
        await evaluateUntil(app, FLAG, { targetingKey: 'ann', email: 'ann@example.com' }, (e) => e.variant === 'off', 12_000, 50);
      } finally {
        await app.close();
      }
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flagSyncListen } from '../../src/flags/flag-sync-setting';
import { serveFlags } from '../../src/flags/serve-flags';

describe('GANTRY_FLAGS_SYNC', () => {
  test.each([
    [undefined, undefined],
    ['off', undefined],
    ['on', '127.0.0.1:8015'],
    ['9015', '127.0.0.1:9015'],
    ['0.0.0.0:8015', '0.0.0.0:8015'],
    ['[::1]:8015', '[::1]:8015'],
  ])('%s → %s', (value, listen) => {
    expect(flagSyncListen(value === undefined ? {} : { GANTRY_FLAGS_SYNC: value })).toBe(listen);
  });

  test('anything else names the variable and the forms it takes', () => {
    expect(() => flagSyncListen({ GANTRY_FLAGS_SYNC: 'localhost' })).toThrow('GANTRY_FLAGS_SYNC=localhost is not host:port: write e.g. GANTRY_FLAGS_SYNC=127.0.0.1:8015, a bare port (8015), "on" or "off"');
    expect(() => flagSyncListen({ GANTRY_FLAGS_SYNC: '127.0.0.1:99999' })).toThrow(/is not host:port/);
  });

  test('serveFlags serves the store under GANTRY_HOME, or nothing when off', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'gantry-serve-flags-'));
    try {
      expect(await serveFlags({ env: { GANTRY_HOME: home } })).toBeUndefined();
      const serving = await serveFlags({ env: { GANTRY_HOME: home, GANTRY_FLAGS_SYNC: '127.0.0.1:0' } });
      expect(serving?.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect((await serving?.store.read())?.revision).toBe(0);
      await serving?.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

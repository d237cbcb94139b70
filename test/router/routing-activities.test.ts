import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRoutingActivities } from '../../src/activities/routing';
import type { RouterConfig } from '../../src/config/progressive-delivery';
import { USER_HEADER } from '../../src/contracts/headers';
import { InvalidRoutesError } from '../../src/contracts/route-table-validation';
import type { Route } from '../../src/contracts/routes';
import { createRouterProvider, embeddedRoutersDir } from '../../src/providers/router/create-router-provider';
import { EmbeddedRouterProvider, readRouterRecord, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { HaproxyRouterProvider } from '../../src/providers/router/haproxy-router-provider';
import type { RouterProvider } from '../../src/providers/router/router';
import { RecordingLogger } from '../providers/support';
import { VersionBackend } from './version-backend';
import { closeTraffic, send } from './traffic';

let home: string;
let stable: VersionBackend;
let canary: VersionBackend;
const embedded: RouterConfig = { kind: 'embedded', canaryUsers: ['carol'] };
const locator = { service: 'shop', environment: 'staging', router: embedded };
const activities = () => createRoutingActivities((config) => createRouterProvider(config, home));
const inActivity = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment(undefined, { logger: new RecordingLogger() }).run(fn);

const routes = (canaryWeight: number): Route[] => [
  { instanceId: 'a', version: '3.0.0', url: stable.url, weight: 100 - canaryWeight, role: 'stable' },
  { instanceId: 'b', version: '3.1.0', url: canary.url, weight: canaryWeight, role: 'canary' },
];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gantry-routing-'));
  stable = await VersionBackend.start('3.0.0');
  canary = await VersionBackend.start('3.1.0');
});

afterAll(async () => {
  await stopAllRouters(embeddedRoutersDir(home));
  closeTraffic();
  await Promise.all([stable.close(), canary.close()]);
  await rm(home, { recursive: true, force: true });
});

describe('routing activities', () => {
  it('picks the provider the config names', () => {
    expect(createRouterProvider(embedded, home)).toBeInstanceOf(EmbeddedRouterProvider);
    expect(createRouterProvider({ kind: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'shop', url: 'http://127.0.0.1:8080' }, home)).toBeInstanceOf(HaproxyRouterProvider);
  });

  it('starts the router with the config allow-list, sets routes and reads them back', async () => {
    const { url } = await inActivity(() => activities().ensureRouter(locator));
    expect(url).toBe((await readRouterRecord(embeddedRoutersDir(home), 'shop', 'staging'))?.publicUrl);

    await inActivity(() => activities().setRoutes({ ...locator, routes: routes(0) }));
    await expect(inActivity(() => activities().getRoutes(locator))).resolves.toEqual(routes(0));
    expect((await send(url)).body).toBe('3.0.0');
    expect((await send(url, { [USER_HEADER]: 'carol' })).body).toBe('3.1.0');

    // Idempotent: the same table twice changes nothing.
    await inActivity(() => activities().setRoutes({ ...locator, routes: routes(0) }));
    await expect(inActivity(() => activities().getRoutes(locator))).resolves.toEqual(routes(0));
  });

  it('fails an invalid table for good, with type InvalidRoutes, and leaves the table alone', async () => {
    const bad = routes(10).map((r) => ({ ...r, weight: 60 }));
    const err = await inActivity(() => activities().setRoutes({ ...locator, routes: bad })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InvalidRoutes', nonRetryable: true });
    expect((err as ApplicationFailure).message).toContain('weights add up to 120');
    await expect(inActivity(() => activities().getRoutes(locator))).resolves.toEqual(routes(0));
  });

  it('turns a provider’s own refusal into the same non-retryable failure', async () => {
    const refusing: RouterProvider = {
      ensureRouter: async () => ({ url: 'http://127.0.0.1:1' }),
      setRoutes: async () => {
        throw new InvalidRoutesError(['backend address cannot be resolved']);
      },
      getRoutes: async () => [],
    };
    const err = await inActivity(() => createRoutingActivities(() => refusing).setRoutes({ ...locator, routes: routes(0) })).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'InvalidRoutes', nonRetryable: true });
    expect((err as Error).message).toContain('backend address cannot be resolved');
  });
});

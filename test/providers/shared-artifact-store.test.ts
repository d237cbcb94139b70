import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ArtifactConflictError, ArtifactInvalidError } from '../../src/providers/artifacts/artifact-store';
import { LocalArtifactStore } from '../../src/providers/artifacts/local-artifact-store';
import { SharedArtifactStore } from '../../src/providers/artifacts/shared-artifact-store';
import { artifactStoreFor, sharedArtifactFolderFromEnv } from '../../src/worker/artifact-store-setting';
import { WorkerSettingError } from '../../src/worker/worker-host';

/**
 * Two workers (two homes) with one shared folder, as two machines mounting one share:
 * what one builds, the other fetches by digest and checks.
 */
describe('SharedArtifactStore', () => {
  let tmp: string;
  let shared: string;
  let buildHost: SharedArtifactStore;
  let otherHost: SharedArtifactStore;
  let otherCache: string;
  let source: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-shared-artifacts-'));
    shared = path.join(tmp, 'share');
    otherCache = path.join(tmp, 'host-b', 'artifacts');
    buildHost = new SharedArtifactStore(new LocalArtifactStore(shared), new LocalArtifactStore(path.join(tmp, 'host-a', 'artifacts')));
    otherHost = new SharedArtifactStore(new LocalArtifactStore(shared), new LocalArtifactStore(otherCache));
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'dist'), { recursive: true });
    await writeFile(path.join(source, 'dist', 'server.js'), 'console.info("v1")\n');
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  const publish = (store: SharedArtifactStore, version: string) => store.publish({ service: 'web', version, sourceDir: source, include: ['dist'] });

  test('another host unpacks an artifact it did not build, fetching it by digest into its own cache', async () => {
    const ref = await publish(buildHost, '1.0.0');
    expect(await otherHost.get('web', '1.0.0')).toEqual(ref);
    const target = path.join(tmp, 'unpacked');
    await otherHost.unpack(ref, target);
    expect(await readFile(path.join(target, 'dist', 'server.js'), 'utf8')).toBe('console.info("v1")\n');
    const hex = ref.digest.replace('sha256:', '');
    expect(await readdir(path.join(otherCache, 'blobs', 'sha256'))).toEqual([`${hex}.tar.gz`]);
  });

  test('a blob changed in the shared store is not fetched, and the cache stays without it', async () => {
    const ref = await publish(buildHost, '1.0.0');
    const blob = path.join(shared, 'blobs', 'sha256', `${ref.digest.replace('sha256:', '')}.tar.gz`);
    await writeFile(blob, 'not the artifact');
    await expect(otherHost.unpack(ref, path.join(tmp, 'unpacked'))).rejects.toThrow(ArtifactInvalidError);
    await expect(otherHost.unpack(ref, path.join(tmp, 'unpacked'))).rejects.toThrow(/changed or damaged in the shared store/);
    expect(await readdir(path.join(otherCache, 'blobs', 'sha256')).catch(() => [])).toEqual([]);
  });

  test('a version is immutable across hosts: another host building other content for it is refused', async () => {
    await publish(buildHost, '1.0.0');
    await writeFile(path.join(source, 'dist', 'server.js'), 'console.info("changed")\n');
    await expect(publish(otherHost, '1.0.0')).rejects.toThrow(ArtifactConflictError);
  });

  test('an artifact in neither place says which setting to check', async () => {
    const ref = { service: 'web', version: '9.9.9', digest: `sha256:${'0'.repeat(64)}`, sizeBytes: 1 };
    await expect(otherHost.unpack(ref, path.join(tmp, 'unpacked'))).rejects.toThrow(/GANTRY_ARTIFACT_STORE names the same shared folder on every worker/);
  });
});

describe('GANTRY_ARTIFACT_STORE', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-artifact-setting-'));
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  test('unset keeps artifacts on this machine', () => {
    expect(sharedArtifactFolderFromEnv({})).toBeUndefined();
    expect(artifactStoreFor(tmp, undefined)).toBeInstanceOf(LocalArtifactStore);
  });

  test('an absolute path or a file:// URL of an existing folder is the shared store', () => {
    expect(sharedArtifactFolderFromEnv({ GANTRY_ARTIFACT_STORE: tmp })).toBe(tmp);
    expect(sharedArtifactFolderFromEnv({ GANTRY_ARTIFACT_STORE: `file://${tmp}` })).toBe(tmp);
    expect(artifactStoreFor(tmp, tmp)).toBeInstanceOf(SharedArtifactStore);
  });

  test.each([
    ['artifacts/shared', /is relative; give the shared folder's absolute path/],
    ['https://artifacts.example.com/gantry', /only a shared folder is supported/],
    ['/nonexistent/gantry-share', /does not exist; mount the shared artifact store there/],
  ])('refuses %p naming the variable and the fix', (value, message) => {
    expect(() => sharedArtifactFolderFromEnv({ GANTRY_ARTIFACT_STORE: value })).toThrow(WorkerSettingError);
    expect(() => sharedArtifactFolderFromEnv({ GANTRY_ARTIFACT_STORE: value })).toThrow(message);
    expect(() => sharedArtifactFolderFromEnv({ GANTRY_ARTIFACT_STORE: value })).toThrow(/^GANTRY_ARTIFACT_STORE /);
  });
});

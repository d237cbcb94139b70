import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createArtifactActivities } from '../../src/activities/artifact';
import { ArtifactConflictError, ArtifactInvalidError } from '../../src/providers/artifacts/artifact-store';
import { LocalArtifactStore } from '../../src/providers/artifacts/local-artifact-store';
import { RecordingLogger } from './support';

/** A little build output: nested folders, an executable and an empty directory. */
async function writeSource(dir: string, serverText = 'console.info("hi")\n'): Promise<string> {
  await mkdir(path.join(dir, 'dist', 'lib'), { recursive: true });
  await mkdir(path.join(dir, 'dist', 'empty'), { recursive: true });
  await writeFile(path.join(dir, 'dist', 'server.js'), serverText);
  await writeFile(path.join(dir, 'dist', 'lib', 'util.js'), 'module.exports = 1;\n');
  await writeFile(path.join(dir, 'dist', 'run.sh'), '#!/bin/sh\necho run\n');
  await chmod(path.join(dir, 'dist', 'run.sh'), 0o755);
  await writeFile(path.join(dir, 'package.json'), '{"name":"web"}\n');
  await writeFile(path.join(dir, 'README.md'), 'not packed\n');
  return dir;
}

describe('LocalArtifactStore', () => {
  let tmp: string;
  let store: LocalArtifactStore;
  let root: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-artifacts-'));
    root = path.join(tmp, 'store');
    store = new LocalArtifactStore(root);
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  const publish = (sourceDir: string, version: string, include = ['dist', 'package.json']) =>
    store.publish({ service: 'web', version, sourceDir, include });

  it('gives identical files the same digest, whatever their timestamps and listing order', async () => {
    const a = await writeSource(path.join(tmp, 'a'));
    const b = path.join(tmp, 'b');
    // Created in another order, an hour later.
    await mkdir(path.join(b, 'dist', 'empty'), { recursive: true });
    await writeFile(path.join(b, 'package.json'), '{"name":"web"}\n');
    await writeSource(b);
    const later = new Date(Date.now() + 3_600_000);
    await utimes(path.join(b, 'dist', 'server.js'), later, later);

    const first = await publish(a, '1.0.0');
    const second = await publish(b, '1.0.1', ['package.json', 'dist']);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).toBe(first.digest);
    expect(second.sizeBytes).toBe(first.sizeBytes);
    expect(await readdir(path.join(root, 'blobs', 'sha256'))).toEqual([`${first.digest.slice(7)}.tar.gz`]);
    expect(await readdir(path.join(root, 'web'))).toEqual(['1.0.0.json', '1.0.1.json']);
  });

  it('treats publishing the same version with the same content as a no-op', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    const first = await publish(source, '2.0.0');
    const again = await publish(source, '2.0.0');
    expect(again).toEqual(first);
    expect(await store.get('web', '2.0.0')).toEqual(first);

    // A repeated publish also restores a blob that went missing.
    const blob = path.join(root, 'blobs', 'sha256', `${first.digest.slice(7)}.tar.gz`);
    await rm(blob);
    expect(await publish(source, '2.0.0')).toEqual(first);
    await store.unpack(first, path.join(tmp, 'restored'));
    expect(await store.get('web', '9.9.9')).toBeUndefined();
  });

  it('refuses the same version with different content', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    const first = await publish(source, '3.0.0');
    await writeFile(path.join(source, 'dist', 'server.js'), 'changed\n');
    const conflict = await publish(source, '3.0.0').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ArtifactConflictError);
    expect((conflict as ArtifactConflictError).existingDigest).toBe(first.digest);
    expect(await store.get('web', '3.0.0')).toEqual(first);
  });

  it('names a missing include path', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    await expect(publish(source, '4.0.0', ['dist', 'build'])).rejects.toThrow(ArtifactInvalidError);
    await expect(publish(source, '4.0.0', ['dist', 'build'])).rejects.toThrow(`artifact include path "build" does not exist in ${source}`);
    await expect(publish(source, '4.0.0', ['../outside'])).rejects.toThrow('outside the source directory');
    await expect(publish(source, '../4.0.0')).rejects.toThrow('cannot name an artifact');
  });

  it('unpacks exactly the included files, modes kept', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    const ref = await publish(source, '5.0.0');
    const target = path.join(tmp, 'out');
    await store.unpack(ref, target);
    expect((await readdir(target)).sort()).toEqual(['dist', 'package.json']);
    expect((await readdir(path.join(target, 'dist'))).sort()).toEqual(['empty', 'lib', 'run.sh', 'server.js']);
    expect(await readFile(path.join(target, 'dist', 'lib', 'util.js'), 'utf8')).toBe('module.exports = 1;\n');
    const { mode } = await stat(path.join(target, 'dist', 'run.sh'));
    expect(mode & 0o111).not.toBe(0);
  });

  it('verifies the digest before unpacking', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    const ref = await publish(source, '6.0.0');
    const blob = path.join(root, 'blobs', 'sha256', `${ref.digest.slice(7)}.tar.gz`);
    const bytes = await readFile(blob);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(blob, bytes);
    const target = path.join(tmp, 'out');
    await expect(store.unpack(ref, target)).rejects.toThrow(`not ${ref.digest}`);
    expect(await readdir(target).catch(() => [])).toEqual([]);
    await expect(store.unpack({ ...ref, digest: 'sha256:nothex' }, target)).rejects.toThrow('expected sha256:<64 hex digits>');
  });

  it('refuses to unpack into a directory that is not empty', async () => {
    const source = await writeSource(path.join(tmp, 'src'));
    const ref = await publish(source, '7.0.0');
    const target = path.join(tmp, 'out');
    await mkdir(target);
    await writeFile(path.join(target, 'leftover'), '');
    await expect(store.unpack(ref, target)).rejects.toThrow('is not empty');
  });
});

/** The activity harness, logging into memory instead of the test output. */
const quietEnvironment = () => new MockActivityEnvironment(undefined, { logger: new RecordingLogger() });

describe('publishArtifact activity', () => {
  let tmp: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-artifacts-'));
    store = new LocalArtifactStore(path.join(tmp, 'store'));
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  const failureOf = async (promise: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  };

  it('publishes, and turns a conflict into a non-retryable ArtifactConflict', async () => {
    const { publishArtifact } = createArtifactActivities(store);
    const source = await writeSource(path.join(tmp, 'src'));
    const request = { service: 'web', version: '1.0.0', sourceDir: source, include: ['dist'] };
    const ref = await quietEnvironment().run(publishArtifact, request);
    expect(ref).toMatchObject({ service: 'web', version: '1.0.0' });

    await writeFile(path.join(source, 'dist', 'server.js'), 'changed\n');
    const failure = await failureOf(quietEnvironment().run(publishArtifact, request));
    expect(failure.type).toBe('ArtifactConflict');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('web@1.0.0 already exists');
  });

  it('turns a missing include path into a non-retryable ArtifactInvalid', async () => {
    const { publishArtifact } = createArtifactActivities(store);
    const source = await writeSource(path.join(tmp, 'src'));
    const failure = await failureOf(
      quietEnvironment().run(publishArtifact, { service: 'web', version: '1.0.0', sourceDir: source, include: ['build'] }),
    );
    expect(failure.type).toBe('ArtifactInvalid');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('"build" does not exist');
  });
});

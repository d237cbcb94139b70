import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createArtifactActivities } from '../../src/activities/artifact';
import { ArtifactConflictError, ArtifactInvalidError } from '../../src/providers/artifacts/artifact-store';
import { LocalArtifactStore } from '../../src/providers/artifacts/local-artifact-store';
import { provenanceStatement, type ProvenanceStatement } from '../../src/policy/provenance';
import type { BuildFacts } from '../../src/shared/provenance-types';
import type { ArtifactRef } from '../../src/shared/release';
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

/** What a release knows about the build of web at `version`. */
const factsFor = (version: string): BuildFacts => ({
  service: 'web',
  version,
  author: 'alice',
  source: { repository: '/srv/repos/web', directory: '.', requested: 'main', commit: 'a'.repeat(40), committedAt: '2026-12-01T09:00:00Z' },
  catalogue: { digest: `sha256:${'c'.repeat(64)}`, source: '/etc/gantry/gantry.yaml' },
  commands: [{ label: 'build', command: 'npm run build' }],
  invocation: { workflowId: `release/web/${version}`, runId: 'run-1', namespace: 'default' },
  startedOn: '2026-12-01T10:00:00.000Z',
  finishedOn: '2026-12-01T10:01:00.000Z',
});

describe('LocalArtifactStore provenance', () => {
  let tmp: string;
  let root: string;
  let store: LocalArtifactStore;
  let ref: ArtifactRef;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-provenance-'));
    root = path.join(tmp, 'store');
    store = new LocalArtifactStore(root);
    ref = await store.publish({ service: 'web', version: '1.0.0', sourceDir: await writeSource(path.join(tmp, 'src')), include: ['dist'] });
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  it('writes the statement beside the version record, whole, and reads it back', async () => {
    const statement = provenanceStatement(ref, factsFor('1.0.0'));
    const written = await store.writeProvenance(ref, statement);
    expect(written).toBe(path.join(root, 'web', '1.0.0.intoto.json'));
    // No temp file left behind: the statement was renamed into place.
    expect(await readdir(path.join(root, 'web'))).toEqual(['1.0.0.intoto.json', '1.0.0.json']);
    expect(JSON.parse(await readFile(written, 'utf8'))).toEqual(statement);
    expect(await store.readProvenance('web', '1.0.0')).toEqual(statement);
    expect(await store.readProvenance('web', '9.9.9')).toBeUndefined();
    await expect(store.readProvenance('web', '../1.0.0')).rejects.toThrow('cannot name an artifact');
  });

  it('writes the same statement again without complaint', async () => {
    const statement = provenanceStatement(ref, factsFor('1.0.0'));
    const first = await store.writeProvenance(ref, statement);
    const bytes = await readFile(first, 'utf8');
    expect(await store.writeProvenance(ref, statement)).toBe(first);
    expect(await readFile(first, 'utf8')).toBe(bytes);
    expect(await readdir(path.join(root, 'web'))).toEqual(['1.0.0.intoto.json', '1.0.0.json']);
  });

  it('refuses a statement about other content than the stored artifact', async () => {
    const other = { ...ref, digest: `sha256:${'0'.repeat(64)}` };
    const statement = provenanceStatement(other, factsFor('1.0.0'));
    const refused = await store.writeProvenance(ref, statement).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ArtifactInvalidError);
    expect((refused as Error).message).toContain(`is about ${other.digest}, but the stored artifact is ${ref.digest}`);
    await expect(store.writeProvenance(other, statement)).rejects.toThrow(`stored with digest ${ref.digest}, not ${other.digest}`);
    await expect(store.writeProvenance({ ...ref, version: '2.0.0' }, provenanceStatement({ ...ref, version: '2.0.0' }, factsFor('2.0.0')))).rejects.toThrow(
      'is not in the store; publish it before recording its provenance',
    );
    expect(await store.readProvenance('web', '1.0.0')).toBeUndefined();
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

  it('records provenance beside the artifact, and refuses facts about another version for good', async () => {
    const { recordProvenance } = createArtifactActivities(store);
    const source = await writeSource(path.join(tmp, 'src'));
    const artifact = await store.publish({ service: 'web', version: '1.0.0', sourceDir: source, include: ['dist'] });
    const statement = (await quietEnvironment().run(recordProvenance, { artifact, facts: factsFor('1.0.0') })) as ProvenanceStatement;
    expect(statement.subject).toEqual([{ name: 'web-1.0.0.tar.gz', digest: { sha256: artifact.digest.slice(7) } }]);
    expect(await store.readProvenance('web', '1.0.0')).toEqual(statement);
    expect(await quietEnvironment().run(recordProvenance, { artifact, facts: factsFor('1.0.0') })).toEqual(statement);

    const failure = await failureOf(quietEnvironment().run(recordProvenance, { artifact, facts: factsFor('1.0.1') }));
    expect(failure.type).toBe('ProvenanceInvalid');
    expect(failure.nonRetryable).toBe(true);
    const unpublished = await failureOf(
      quietEnvironment().run(recordProvenance, { artifact: { ...artifact, version: '1.0.1' }, facts: factsFor('1.0.1') }),
    );
    expect(unpublished.type).toBe('ProvenanceInvalid');
    expect(unpublished.message).toContain('publish it before recording its provenance');
  });
});

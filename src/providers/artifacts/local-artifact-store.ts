import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { ProvenanceStatement } from '../../policy/provenance';
import type { ArtifactRef } from '../../shared/release';
import { readJsonFile, writeJsonAtomic } from '../state-dir';
import { ArtifactConflictError, ArtifactInvalidError } from './artifact-store';
import type { ArtifactStore, PublishRequest } from './artifact-store';


/** What is stored per version; the ref plus what a person inspecting the store wants to know. */
interface VersionRecord extends ArtifactRef {
  include: string[];
  publishedAt: string;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * Artifacts on the local disk:
 *
 * ```
 * <root>/blobs/sha256/<hex>.tar.gz   content, named by its digest
 * <root>/<service>/<version>.json    which digest a version is
 * <root>/<service>/<version>.intoto.json   its provenance (an in-toto statement)
 * ```
 *
 * Archives are reproducible: entries sorted, no owners, no timestamps, a fixed gzip
 * header, so the same files give the same digest on every rebuild. (The digest is of
 * the compressed bytes; a Node.js release that ships a different zlib could compress
 * differently, which would show up as a conflict, never as a silent change.)
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async publish(request: PublishRequest): Promise<ArtifactRef> {
    const { service, version } = request;
    assertSafeName('service', service);
    assertSafeName('version', version);
    const entries = await listEntries(request.sourceDir, request.include);

    await mkdir(this.tempDir(), { recursive: true });
    const packed = path.join(this.tempDir(), `${randomBytes(8).toString('hex')}.tar.gz`);
    try {
      await tar.create(
        { cwd: request.sourceDir, file: packed, gzip: true, portable: true, noMtime: true, noDirRecurse: true, strict: true },
        entries,
      );
      const { hex, size } = await hashFile(packed);
      const ref: ArtifactRef = { service, version, digest: `sha256:${hex}`, sizeBytes: size };

      const existing = await this.get(service, version);
      if (existing) assertSameContent(existing, ref);
      // Stored on a repeated publish too: that puts back a blob someone deleted, and costs nothing otherwise.
      await this.storeBlob(packed, hex);
      if (existing) return existing;

      const record: VersionRecord = { ...ref, include: request.include, publishedAt: new Date().toISOString() };
      const winner = await this.writeRecordOnce(record);
      assertSameContent(winner, ref);
      return winner;
    } finally {
      await rm(packed, { force: true });
    }
  }

  async get(service: string, version: string): Promise<ArtifactRef | undefined> {
    assertSafeName('service', service);
    assertSafeName('version', version);
    const record = await readJsonFile<VersionRecord>(this.recordPath(service, version));
    return record && toRef(record);
  }

  async unpack(artifact: ArtifactRef, targetDir: string): Promise<void> {
    const name = `${artifact.service}@${artifact.version}`;
    const hex = DIGEST.exec(artifact.digest)?.[1];
    if (!hex) throw new ArtifactInvalidError(`artifact ${name} has digest "${artifact.digest}"; expected sha256:<64 hex digits>`);
    const blob = this.blobPath(hex);
    let actual: string;
    try {
      actual = (await hashFile(blob)).hex;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`artifact ${name} (${artifact.digest}) is not in the store at ${blob}; publish it again`);
    }
    if (actual !== hex) {
      throw new Error(
        `artifact ${name}: ${blob} has digest sha256:${actual}, not ${artifact.digest}; ` +
          'the stored file was changed or damaged, so it is not deployed. Release the change as a new version.',
      );
    }
    await mkdir(targetDir, { recursive: true });
    const present = await readdir(targetDir);
    if (present.length > 0) throw new Error(`cannot unpack ${name} into ${targetDir}: the directory is not empty`);
    await tar.extract({ file: blob, cwd: targetDir, strict: true, preserveOwner: false });
  }

  /**
   * Replaces any earlier statement: a release retried with `--retry` rebuilds the same
   * content under a new run, and its statement is as true as the first one (which stays
   * in that run's history). The rename means a reader never sees half a statement.
   */
  async writeProvenance(artifact: ArtifactRef, statement: ProvenanceStatement): Promise<string> {
    const { service, version } = artifact;
    const name = `${service}@${version}`;
    const stored = await this.get(service, version);
    if (!stored) throw new ArtifactInvalidError(`artifact ${name} is not in the store; publish it before recording its provenance`);
    const storedHex = stored.digest.replace(/^sha256:/, '');
    if (artifact.digest !== stored.digest) {
      throw new ArtifactInvalidError(`artifact ${name} is stored with digest ${stored.digest}, not ${artifact.digest}; its provenance is not recorded`);
    }
    const subjects = Array.isArray(statement.subject) ? statement.subject : [];
    const other = subjects.find((s) => s.digest?.sha256 !== storedHex);
    if (subjects.length === 0 || other) {
      throw new ArtifactInvalidError(
        `the provenance statement for ${name} is about ${other ? `sha256:${other.digest?.sha256}` : 'no subject'}, ` +
          `but the stored artifact is ${stored.digest}; it is not written`,
      );
    }
    const target = this.provenancePath(service, version);
    await writeJsonAtomic(target, statement);
    return target;
  }

  async readProvenance(service: string, version: string): Promise<ProvenanceStatement | undefined> {
    assertSafeName('service', service);
    assertSafeName('version', version);
    return readJsonFile<ProvenanceStatement>(this.provenancePath(service, version));
  }

  /**
   * Where the blob of `artifact` is, when this store holds it (not checked against its
   * digest here: `unpack` and `addBlob` check).
   */
  async blobOf(artifact: ArtifactRef): Promise<string | undefined> {
    const blob = this.blobPath(hexOf(artifact));
    return (await exists(blob)) ? blob : undefined;
  }

  /**
   * Copies the blob of `artifact` from `source` (another store's file) into this store,
   * keeping it only if its bytes have the digest the ref says: a damaged or swapped file
   * never enters the store. Adding a blob that is already here changes nothing.
   */
  async addBlob(artifact: ArtifactRef, source: string): Promise<void> {
    const hex = hexOf(artifact);
    if (await this.blobOf(artifact)) return;
    await mkdir(this.tempDir(), { recursive: true });
    const temp = path.join(this.tempDir(), `${randomBytes(8).toString('hex')}.tar.gz`);
    try {
      await copyFile(source, temp);
      const actual = (await hashFile(temp)).hex;
      if (actual !== hex) {
        throw new ArtifactInvalidError(
          `artifact ${artifact.service}@${artifact.version}: ${source} has digest sha256:${actual}, not ${artifact.digest}; ` +
            'it was changed or damaged in the shared store, so it is not fetched. Release the change as a new version.',
        );
      }
      await this.storeBlob(temp, hex);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Same content means the blob is the same, so an existing one is simply kept. */
  private async storeBlob(packed: string, hex: string): Promise<void> {
    const blob = this.blobPath(hex);
    await mkdir(path.dirname(blob), { recursive: true });
    if (await exists(blob)) return;
    await rename(packed, blob);
  }

  /**
   * Writes the version record unless one exists, and returns whichever record holds.
   * Linking a finished temp file into place is atomic like a rename but, unlike a
   * rename, never replaces an existing record: two publishes racing for one version
   * cannot both win.
   */
  private async writeRecordOnce(record: VersionRecord): Promise<ArtifactRef> {
    const target = this.recordPath(record.service, record.version);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
    try {
      await link(temp, target);
      return toRef(record);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = await readJsonFile<VersionRecord>(target);
      if (!existing) throw err;
      return toRef(existing);
    } finally {
      await rm(temp, { force: true });
    }
  }

  private blobPath(hex: string): string {
    return path.join(this.root, 'blobs', 'sha256', `${hex}.tar.gz`);
  }

  private recordPath(service: string, version: string): string {
    return path.join(this.root, service, `${version}.json`);
  }

  private provenancePath(service: string, version: string): string {
    return path.join(this.root, service, `${version}.intoto.json`);
  }

  private tempDir(): string {
    return path.join(this.root, 'tmp');
  }
}

/** Versions are immutable: the same version may be published again only with the same content. */
function assertSameContent(existing: ArtifactRef, built: ArtifactRef): void {
  if (existing.digest !== built.digest) {
    throw new ArtifactConflictError(built.service, built.version, existing.digest, built.digest);
  }
}

/** The hex of a ref's sha256 digest; a ref with any other digest names no blob. */
function hexOf(artifact: ArtifactRef): string {
  const hex = DIGEST.exec(artifact.digest)?.[1];
  if (!hex) throw new ArtifactInvalidError(`artifact ${artifact.service}@${artifact.version} has digest "${artifact.digest}"; expected sha256:<64 hex digits>`);
  return hex;
}

function toRef(record: ArtifactRef): ArtifactRef {
  return { service: record.service, version: record.version, digest: record.digest, sizeBytes: record.sizeBytes };
}

/** Names become file names: nothing that could climb out of the store or hide a file. */
function assertSafeName(what: string, value: string): void {
  if (!SAFE_NAME.test(value) || value.includes('..')) {
    throw new ArtifactInvalidError(`${what} "${value}" cannot name an artifact: use letters, digits, . _ + - (not starting with . and without ..)`);
  }
}

/**
 * Every file, directory and symlink under the included paths, relative to sourceDir,
 * sorted so the archive does not depend on the order the file system lists them in.
 * Symlinks are packed as links, never followed.
 */
async function listEntries(sourceDir: string, include: string[]): Promise<string[]> {
  if (!(await exists(sourceDir))) throw new ArtifactInvalidError(`source directory ${sourceDir} does not exist`);
  if (include.length === 0) throw new ArtifactInvalidError('nothing to pack: artifact.include is empty');
  const entries = new Set<string>();
  const walk = async (relative: string): Promise<void> => {
    if (relative !== '.') entries.add(relative);
    const info = await lstat(path.join(sourceDir, relative));
    if (!info.isDirectory()) return;
    for (const name of await readdir(path.join(sourceDir, relative))) {
      await walk(relative === '.' ? name : `${relative}/${name}`);
    }
  };
  for (const raw of include) {
    const relative = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '') || '.';
    if (path.posix.isAbsolute(relative) || relative === '..' || relative.startsWith('../')) {
      throw new ArtifactInvalidError(`artifact include path "${raw}" is outside the source directory; list paths inside ${sourceDir}`);
    }
    if (!(await exists(path.join(sourceDir, relative), lstat))) {
      throw new ArtifactInvalidError(
        `artifact include path "${raw}" does not exist in ${sourceDir}; did the build produce it? Fix the build or artifact.include in gantry.yaml`,
      );
    }
    await walk(relative);
  }
  return [...entries].sort();
}

async function exists(file: string, check: typeof stat | typeof lstat = stat): Promise<boolean> {
  try {
    await check(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function hashFile(file: string): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { hex: hash.digest('hex'), size };
}

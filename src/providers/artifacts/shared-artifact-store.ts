import type { ProvenanceStatement } from '../../policy/provenance';
import type { ArtifactRef } from '../../shared/release';
import type { ArtifactStore, PublishRequest } from './artifact-store';
import type { LocalArtifactStore } from './local-artifact-store';

/**
 * Artifacts for several workers: one shared store every worker mounts (an NFS, EFS or
 * SMB share at the same path, `GANTRY_ARTIFACT_STORE`) holds each version's record, blob
 * and provenance, and is the authority on which digest a version is; each worker keeps a
 * local cache of the blobs it deploys. An instance of an artifact built on another host
 * is fetched by its digest into the cache, and its bytes are checked against that digest
 * both when fetched and again when unpacked: what runs is what was built.
 */
export class SharedArtifactStore implements ArtifactStore {
  constructor(
    private readonly shared: LocalArtifactStore,
    private readonly cache: LocalArtifactStore,
  ) {}

  /** Packs into the shared store: a version is immutable across every worker, so conflicts are judged there. */
  publish(request: PublishRequest): Promise<ArtifactRef> {
    return this.shared.publish(request);
  }

  get(service: string, version: string): Promise<ArtifactRef | undefined> {
    return this.shared.get(service, version);
  }

  async unpack(artifact: ArtifactRef, targetDir: string): Promise<void> {
    if (!(await this.cache.blobOf(artifact))) {
      const source = await this.shared.blobOf(artifact);
      if (!source) {
        throw new Error(
          `artifact ${artifact.service}@${artifact.version} (${artifact.digest}) is neither in this worker's cache nor in the shared store; ` +
            'check that GANTRY_ARTIFACT_STORE names the same shared folder on every worker, or publish it again',
        );
      }
      await this.cache.addBlob(artifact, source);
    }
    await this.cache.unpack(artifact, targetDir);
  }

  writeProvenance(artifact: ArtifactRef, statement: ProvenanceStatement): Promise<string> {
    return this.shared.writeProvenance(artifact, statement);
  }

  readProvenance(service: string, version: string): Promise<ProvenanceStatement | undefined> {
    return this.shared.readProvenance(service, version);
  }
}

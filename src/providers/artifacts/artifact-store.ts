import type { ProvenanceStatement } from '../../policy/provenance';
import type { ArtifactRef } from '../../shared/release';

export interface PublishRequest {
  service: string;
  version: string;
  /** Absolute source directory. */
  sourceDir: string;
  /** Paths relative to sourceDir to pack. */
  include: string[];
}

/**
 * Immutable, content-addressed artifacts. Publishing the same version with the same
 * digest is a no-op; with a different digest it is refused (ArtifactConflictError).
 */
export interface ArtifactStore {
  publish(request: PublishRequest): Promise<ArtifactRef>;
  get(service: string, version: string): Promise<ArtifactRef | undefined>;
  /** Unpacks the artifact into an empty directory, checking its digest first. */
  unpack(artifact: ArtifactRef, targetDir: string): Promise<void>;
  /**
   * Stores the artifact's provenance statement beside it and returns where. Writing it
   * again is harmless; a statement about other content than the stored artifact is
   * refused (ArtifactInvalidError).
   */
  writeProvenance(artifact: ArtifactRef, statement: ProvenanceStatement): Promise<string>;
  /** The stored provenance statement of a version, if one was written. */
  readProvenance(service: string, version: string): Promise<ProvenanceStatement | undefined>;
}

export class ArtifactConflictError extends Error {
  constructor(
    readonly service: string,
    readonly version: string,
    readonly existingDigest: string,
    readonly newDigest: string,
  ) {
    super(
      `artifact ${service}@${version} already exists with digest ${existingDigest}; the new build has ${newDigest}. ` +
        'Versions are immutable: release the change as a new version.',
    );
    this.name = 'ArtifactConflictError';
  }
}

/**
 * The request cannot produce an artifact (a path to pack is missing, a name is not
 * usable): fixing the build or the catalogue is the remedy, not a retry.
 */
export class ArtifactInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactInvalidError';
  }
}

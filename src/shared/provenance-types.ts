/**
 * What a release knows about where its code and rules came from. Resolved when the
 * release is admitted, recorded in its status, and written into the artifact's
 * provenance statement. Plain data: it travels through Temporal as JSON.
 */

/** The commit a release builds, as the worker resolved it. */
export interface SourceRevision {
  /** The repository as the worker fetches it (URL or absolute path). */
  repository: string;
  /** Folder inside the repository that holds the service (`.` for the root). */
  directory: string;
  /** What the starter asked for: a short or full SHA, or a tag. */
  requested: string;
  /** The full commit SHA. */
  commit: string;
  /** The commit's committer time, ISO 8601. */
  committedAt: string;
}

/** Which catalogue the platform enforced for a release. */
export interface CatalogueRef {
  /** `sha256:<hex>` of the catalogue's bytes. */
  digest: string;
  /** Where the worker loaded it from: a file path, or `<repository>#<ref>:<path>`. */
  source: string;
  /** The catalogue repository's commit, when it is kept in git. */
  revision?: string;
}

/** One command the build ran, as the catalogue names it. */
export interface CommandRun {
  label: string;
  command: string;
}

/** Everything the provenance statement of an artifact records besides the artifact itself. */
export interface BuildFacts {
  service: string;
  version: string;
  author: string;
  source: SourceRevision;
  catalogue: CatalogueRef;
  commands: CommandRun[];
  /** The release workflow that built it. */
  invocation: { workflowId: string; runId: string; namespace: string };
  /** ISO 8601: when the build stage started and when the artifact was published. */
  startedOn: string;
  finishedOn: string;
}

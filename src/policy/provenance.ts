import type { BuildFacts } from '../shared/provenance-types';
import type { ArtifactRef } from '../shared/release';

/**
 * The provenance of an artifact: an in-toto Statement v1 whose predicate is SLSA
 * Provenance v1, built from the facts the release recorded and nothing else (no
 * environment, no clock), so the same facts always give the same statement and a retry
 * writes the same file.
 *
 * Gantry's build type, `urn:gantry:release-build:v1`, gives the predicate's parameters
 * this meaning:
 *
 * - `externalParameters` — what the starter of the release controls, to be checked by
 *   whoever consumes the artifact: `service`, `version`, `author`, and `source`
 *   (`repository`, `directory` inside it, and `ref`, the revision as it was asked for).
 * - `internalParameters` — what the platform decided: `catalogue` (`digest` of the
 *   catalogue's bytes, `source` it was loaded from, its git `revision` when known) and
 *   `commands`, the build and test commands it ran, in order, as the catalogue names them.
 * - `resolvedDependencies` — one entry: the source repository (`git+<url>`, or
 *   `git+file://<path>` for a local clone) with the full commit `ref` resolved to as its
 *   `gitCommit` digest and the commit time as the `committedAt` annotation.
 *
 * The builder is `urn:gantry:worker`: the Gantry worker pool that runs the release
 * workflow. `runDetails.metadata.invocationId` is `<namespace>/<workflowId>/<runId>`,
 * which finds the run's full history in Temporal.
 */

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const GANTRY_BUILD_TYPE = 'urn:gantry:release-build:v1';
export const GANTRY_BUILDER_ID = 'urn:gantry:worker';

export interface ProvenanceSubject {
  /** `<service>-<version>.tar.gz`. */
  name: string;
  /** The hex digest alone, as in-toto digest sets write it (no `sha256:` prefix). */
  digest: { sha256: string };
}

export interface SourceDependency {
  uri: string;
  digest: { gitCommit: string };
  annotations: { committedAt: string };
}

export interface GantryBuildDefinition {
  buildType: typeof GANTRY_BUILD_TYPE;
  externalParameters: {
    service: string;
    version: string;
    source: { repository: string; directory: string; ref: string };
    author: string;
  };
  internalParameters: {
    catalogue: { digest: string; source: string; revision?: string };
    commands: { label: string; command: string }[];
  };
  resolvedDependencies: SourceDependency[];
}

export interface GantryRunDetails {
  builder: { id: typeof GANTRY_BUILDER_ID };
  metadata: { invocationId: string; startedOn: string; finishedOn: string };
}

export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: ProvenanceSubject[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: { buildDefinition: GantryBuildDefinition; runDetails: GantryRunDetails };
}

/** The facts cannot describe this artifact: a bug upstream, which no retry fixes. */
export class ProvenanceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvenanceInputError';
  }
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;
/** A full SHA-1 or SHA-256 object name: a short one would not pin the source. */
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Worked example: web 2.0.0 with digest `sha256:ab…` built from
 * `https://github.com/acme/web` at `v2.0.0` (commit `0123…`) gives subject
 * `web-2.0.0.tar.gz` / `{ sha256: "ab…" }` and the dependency
 * `git+https://github.com/acme/web` / `{ gitCommit: "0123…" }`.
 */
export function provenanceStatement(artifact: ArtifactRef, facts: BuildFacts): ProvenanceStatement {
  const name = `${artifact.service} ${artifact.version}`;
  const hex = DIGEST.exec(artifact.digest)?.[1];
  if (!hex) throw new ProvenanceInputError(`artifact ${name} has digest "${artifact.digest}"; expected sha256:<64 hex digits>`);
  if (facts.service !== artifact.service || facts.version !== artifact.version) {
    throw new ProvenanceInputError(`the build facts describe ${facts.service} ${facts.version}, not the artifact ${name}`);
  }
  const commit = facts.source.commit.toLowerCase();
  if (!FULL_COMMIT.test(commit)) {
    throw new ProvenanceInputError(`the source commit of ${name} is "${facts.source.commit}"; provenance needs the full commit SHA`);
  }
  const { catalogue } = facts;
  const repository = withoutCredentials(facts.source.repository);
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: `${artifact.service}-${artifact.version}.tar.gz`, digest: { sha256: hex } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: GANTRY_BUILD_TYPE,
        externalParameters: {
          service: facts.service,
          version: facts.version,
          source: { repository, directory: facts.source.directory, ref: facts.source.requested },
          author: facts.author,
        },
        internalParameters: {
          catalogue: {
            digest: catalogue.digest,
            source: withoutCredentials(catalogue.source),
            // Absent rather than undefined, so the statement compares and serialises the same everywhere.
            ...(catalogue.revision !== undefined ? { revision: catalogue.revision } : {}),
          },
          commands: facts.commands.map(({ label, command }) => ({ label, command })),
        },
        resolvedDependencies: [
          { uri: gitUri(repository), digest: { gitCommit: commit }, annotations: { committedAt: facts.source.committedAt } },
        ],
      },
      runDetails: {
        builder: { id: GANTRY_BUILDER_ID },
        metadata: {
          invocationId: `${facts.invocation.namespace}/${facts.invocation.workflowId}/${facts.invocation.runId}`,
          startedOn: facts.startedOn,
          finishedOn: facts.finishedOn,
        },
      },
    },
  };
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** `user@host:path`, git's scp-like syntax (a drive letter such as `C:` is not a host). */
const SCP_LIKE = /^(?:([^@/\\]+)@)?([^/\\:]{2,}):(.*)$/;

/**
 * The repository as an SPDX-style VCS locator. A URL keeps its scheme (`git+https://…`,
 * `git+ssh://…`); scp-like `git@host:org/repo` becomes `git+ssh://git@host/org/repo`;
 * a path becomes a `file://` URL, with what a URL cannot hold verbatim percent-encoded.
 */
export function gitUri(repository: string): string {
  if (repository.startsWith('git+')) return repository;
  if (SCHEME.test(repository)) return `git+${repository}`;
  const scp = SCP_LIKE.exec(repository);
  if (scp) return `git+ssh://${scp[1] ? `${scp[1]}@` : ''}${scp[2]}/${scp[3].replace(/^\/+/, '')}`;
  const slashed = repository.replace(/\\/g, '/');
  const encoded = encodeURI(slashed).replace(/[?#]/g, encodeURIComponent);
  if (slashed.startsWith('/')) return `git+file://${encoded}`;
  if (/^[A-Za-z]:\//.test(slashed)) return `git+file:///${encoded}`;
  // Relative: the worker resolves repositories to absolute paths, so this is not expected;
  // inventing a root for it would name another directory, so it stays relative.
  return `git+file:${encoded}`;
}

/**
 * A repository URL may carry a token (`https://x-access-token:…@host/…`); the statement
 * is stored beside the artifact and shown to anyone who can query the release, so no
 * credential goes in. An http(s) user name is dropped too, since a token is often put
 * there; an ssh user name (`git@`) is kept, it is part of the address.
 */
export function withoutCredentials(location: string): string {
  return location.replace(/^((?:git\+)?([A-Za-z][A-Za-z0-9+.-]*):\/\/)([^/?#@]*)@/, (_all, prefix: string, scheme: string, userinfo: string) => {
    if (/^https?$/i.test(scheme)) return prefix;
    const user = userinfo.split(':')[0];
    return user ? `${prefix}${user}@` : prefix;
  });
}

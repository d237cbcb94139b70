import { ApplicationFailure } from '@temporalio/activity';
import { provenanceStatement, ProvenanceInputError, type ProvenanceStatement } from '../policy/provenance';
import type { BuildFacts } from '../shared/provenance-types';
import type { ArtifactRef } from '../shared/release';
import { ArtifactConflictError, ArtifactInvalidError } from '../providers/artifacts/artifact-store';
import type { ArtifactStore, PublishRequest } from '../providers/artifacts/artifact-store';
import { heartbeatWhile } from './heartbeat-while';


export function createArtifactActivities(store: ArtifactStore) {
  return {
    /**
     * Packs and stores the build output. Idempotent: a retry after the artifact was
     * stored returns the same ref. A version that exists with other content, or a
     * build that did not produce what the catalogue says to pack, is final.
     */
    async publishArtifact(request: PublishRequest): Promise<ArtifactRef> {
      try {
        return await heartbeatWhile(`packing ${request.service} ${request.version}`, store.publish(request));
      } catch (err) {
        if (err instanceof ArtifactConflictError) {
          throw ApplicationFailure.create({
            type: 'ArtifactConflict',
            nonRetryable: true,
            message: err.message,
            details: [{ existingDigest: err.existingDigest, newDigest: err.newDigest }],
            cause: err,
          });
        }
        if (err instanceof ArtifactInvalidError) {
          throw ApplicationFailure.create({ type: 'ArtifactInvalid', nonRetryable: true, message: err.message, cause: err });
        }
        throw err;
      }
    },

    /**
     * Writes the artifact's provenance statement beside it and returns the statement.
     * The statement depends only on its inputs, so a retry writes the same file. Facts
     * that do not describe the artifact, or an artifact the store does not hold, are final.
     */
    async recordProvenance(request: { artifact: ArtifactRef; facts: BuildFacts }): Promise<ProvenanceStatement> {
      try {
        const statement = provenanceStatement(request.artifact, request.facts);
        await store.writeProvenance(request.artifact, statement);
        return statement;
      } catch (err) {
        if (err instanceof ProvenanceInputError || err instanceof ArtifactInvalidError) {
          throw ApplicationFailure.create({ type: 'ProvenanceInvalid', nonRetryable: true, message: err.message, cause: err });
        }
        throw err;
      }
    },
  };
}

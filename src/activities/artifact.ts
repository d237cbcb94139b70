import { ApplicationFailure } from '@temporalio/activity';
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
  };
}

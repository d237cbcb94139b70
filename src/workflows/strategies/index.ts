import type { STRATEGIES } from '../../config/service-catalogue';
import type { ArtifactRef } from '../../shared/release';
import { deployAllAtOnce } from '../deploy-all-at-once';
import type { ReleaseState } from '../release-state';

/**
 * The production strategy seam: each strategy takes the release and the artifact and
 * returns once the new version serves all traffic, or throws with the old one serving.
 */
export type ProductionStrategy = (release: ReleaseState, artifact: ArtifactRef) => Promise<void>;

export const PRODUCTION_STRATEGIES: Record<(typeof STRATEGIES)[number], ProductionStrategy> = {
  allAtOnce: (release, artifact) => deployAllAtOnce(release, 'production', artifact),
};

/**
 * The early stop: while a canary step soaks, each bad event (an error, a request slower
 * than a limit) is either the canary's or stable's. Were the canary no worse than stable
 * (its rate at most `1 + tolerance` times stable's), an event would be the canary's with
 * probability at most q0 = (1 + t)·c / ((1 + t)·c + s), c and s the requests each served.
 * The test multiplies, event by event, the likelihood ratio of "the canary's rate is R
 * times stable's" against that, for several R at once (a mixture, so no single R has to be
 * guessed). Under the null hypothesis the mixture is a nonnegative supermartingale, so by
 * Ville's inequality it ever reaches 1/alpha with probability at most alpha: the stop may
 * be checked after every request, for as long as the step lasts, and a canary that is not
 * worse is stopped in error at most alpha of the time. A clearly bad canary is stopped
 * after a handful of its errors, without waiting for the interval to end.
 */

/** Rate ratios the mixture bets on, with equal weight. */
export const EARLY_STOP_RATIOS = [1.5, 2, 3, 5, 10, 30] as const;

export interface EarlyStopState {
  /** ln of each ratio's likelihood ratio so far, in EARLY_STOP_RATIOS' order. */
  logRatios: number[];
  canaryEvents: number;
  stableEvents: number;
}

export interface EarlyStopVerdict {
  stop: boolean;
  /** The mixture's likelihood ratio: the evidence that the canary is worse (stop at 1/alpha). */
  evidence: number;
  /** 1/evidence, at most 1: a p-value valid whenever it is looked at. */
  alwaysValidP: number;
  canaryEvents: number;
  stableEvents: number;
}

export const startEarlyStop = (): EarlyStopState => ({ logRatios: EARLY_STOP_RATIOS.map(() => 0), canaryEvents: 0, stableEvents: 0 });

/**
 * Adds the bad events counted since the last update, while the canary served `canaryShare`
 * of the requests (0 < share < 1, as the traffic split and the requests each side served
 * say). Events of a batch all count at that share.
 */
export function observeEvents(state: EarlyStopState, batch: { canaryEvents: number; stableEvents: number; canaryShare: number }, tolerance: number): EarlyStopState {
  const { canaryEvents, stableEvents, canaryShare } = batch;
  if (!(canaryShare > 0 && canaryShare < 1) || canaryEvents + stableEvents === 0) {
    return { ...state, canaryEvents: state.canaryEvents + canaryEvents, stableEvents: state.stableEvents + stableEvents };
  }
  const odds = canaryShare / (1 - canaryShare);
  const q0 = ((1 + tolerance) * odds) / ((1 + tolerance) * odds + 1);
  return {
    logRatios: state.logRatios.map((logRatio, i) => {
      const ratio = EARLY_STOP_RATIOS[i] * (1 + tolerance);
      const q1 = (ratio * odds) / (ratio * odds + 1);
      return logRatio + canaryEvents * Math.log(q1 / q0) + stableEvents * Math.log((1 - q1) / (1 - q0));
    }),
    canaryEvents: state.canaryEvents + canaryEvents,
    stableEvents: state.stableEvents + stableEvents,
  };
}

/** Whether the evidence so far stops the canary at level `alpha`. */
export function earlyStopVerdict(state: EarlyStopState, alpha: number): EarlyStopVerdict {
  // The mixture's mean, computed from logs without overflow.
  const top = Math.max(...state.logRatios);
  const evidence = Math.exp(top) * (state.logRatios.reduce((sum, l) => sum + Math.exp(l - top), 0) / state.logRatios.length);
  return {
    stop: evidence >= 1 / alpha,
    evidence,
    alwaysValidP: Math.min(1, 1 / evidence),
    canaryEvents: state.canaryEvents,
    stableEvents: state.stableEvents,
  };
}

/**
 * What a metrics provider returns and the analysis policy judges. Providers measure;
 * they never judge. A measurement that could not be made is data too: `noData` (the
 * source answered but had nothing for this version and window) and `unreachable` (the
 * source did not answer) are distinct, and the analysis policy never counts either as
 * a pass.
 */

export type Measurement =
  | {
      kind: 'value';
      requests: number;
      /** 5xx answers plus requests the router could not forward. */
      errors: number;
      /** errors / requests, 0–1. */
      errorRate: number;
      /** Latency percentiles in milliseconds; absent when no request completed. */
      latencyMs: { p50?: number; p99?: number };
      /**
       * Every request's latency as [ms, count] pairs (a histogram), when the source keeps
       * them (the embedded router does): what the statistical judge compares by rank and at
       * the tail. Absent, the judge has no latency samples.
       */
      latencyHistogram?: Array<[number, number]>;
      /** Set when the source cannot measure latency at all, by configuration: why. Latency is then not judged. */
      latencyUnmeasured?: string;
    }
  | { kind: 'noData'; reason: string }
  | { kind: 'unreachable'; reason: string };

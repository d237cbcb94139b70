/**
 * Soak integrity: a step is judged by its planned number of checks, not by the clock.
 * A timer runs on while no worker is there to measure; counting checks instead of
 * elapsed time means an outage extends the soak rather than skipping its analyses.
 */

/**
 * How long to wait before check `done` (0-based) of a soak: the interval, except the
 * last, which is shortened so the checks end with the soak (see `checkOffsetsMs`).
 *
 * Worked example, soak 90 s at interval 60 s: check 0 after 60 s, check 1 after 30 s.
 */
export function waitBeforeCheckMs(soakMs: number, intervalMs: number, done: number): number {
  return Math.max(0, Math.min(intervalMs, soakMs - done * intervalMs));
}

/**
 * Why the soak is longer than planned when a check did not pass: a step advances only
 * after its planned number of passing checks, so the check is made again (the failure
 * and inconclusive limits decide when repeating gives way to a rollback or a pause).
 */
export function repeatedCheck(verdict: 'fail' | 'inconclusive', summary: string): string {
  return `soak extended: a check was ${verdict === 'fail' ? 'failed' : 'inconclusive'} (${summary}); it is made again, since a step advances only after all its planned checks pass`;
}

/**
 * Why the soak is longer than planned, when a check ran late: a timer that fired while
 * no worker ran (a crash, a deploy of the worker) is noticed only when one is back.
 * Lateness up to half an interval is ordinary scheduling and says nothing.
 *
 * Worked example: interval 60 s, check due 10:00:00, ran 10:03:10 → 190 s late: "soak
 * extended: the check due at 10:00:00.000Z ran 190 s late (no worker was running); the
 * step still gets every planned check".
 */
export function soakExtension(dueAtMs: number, ranAtMs: number, intervalMs: number): string | undefined {
  const lateMs = ranAtMs - dueAtMs;
  if (lateMs <= Math.max(intervalMs / 2, 1_000)) return undefined;
  return `soak extended: the check due at ${new Date(dueAtMs).toISOString()} ran ${Math.round(lateMs / 1000)} s late (no worker was running); the step still gets every planned check`;
}

import { z } from 'zod';

/**
 * `analysis.judge` in the catalogue: judge the new version against stable statistically
 * (src/policy/canary-judge.ts) instead of by fixed limits, and stop a clearly bad one
 * early (src/policy/early-stop.ts). The metrics are the two every metrics source
 * measures: `errors` (errors among requests, compared as proportions) and `latency`
 * (every request's latency, compared by rank and at a tail quantile; only sources that
 * keep a latency histogram, such as the embedded router, have these samples).
 */

const NoDataSchema = z
  .enum(['pass', 'fail', 'ignore'])
  .default('ignore')
  .describe('What a metric without enough data counts as in the score: ignore leaves it out, pass or fail counts it so.');

const ErrorsSchema = z
  .strictObject({
    tolerance: z.number().min(0).default(0.2).describe("The rise of the error rate over stable's tolerated before it counts (0.2: 20 % above stable's rate)."),
    critical: z.boolean().default(true).describe('A critical metric that fails fails the canary, whatever the score.'),
    noData: NoDataSchema,
    minRequests: z.number().int().min(1).default(100).describe('Requests each side must have served in the window for the errors to be judged.'),
  })
  .describe('Errors among requests, the canary against stable, by a test on proportions.');

const LatencySchema = z
  .strictObject({
    tolerance: z.number().min(0).default(0.1).describe("The shift of latency over stable's median (and of the tail over stable's) tolerated before it counts (0.1: 10 %)."),
    toleranceMs: z
      .number()
      .min(0)
      .default(10)
      .describe('Shifts of the median or the tail smaller than this many ms are noise, whatever their share (on a 1 ms service 0.5 ms is 50 %).'),
    critical: z.boolean().default(false).describe('A critical metric that fails fails the canary, whatever the score.'),
    noData: NoDataSchema,
    tailQuantile: z.number().gt(0.5).lt(1).default(0.99).describe('Also compare this quantile: a change of spread or tail with the same median (0.99: p99).'),
    removeOutliers: z.boolean().default(false).describe("Drop values outside Tukey's fences before the rank test (never before the tail test)."),
    minSamples: z.number().int().min(2).default(20).describe('Latencies each side must have in the window for latency to be judged.'),
  })
  .describe('Latency of every request, the canary against stable, by a rank test, a shift estimate and a tail quantile.');

const EarlyStopSchema = z
  .strictObject({
    alpha: z.number().gt(0).lt(0.5).default(0.01).describe('The chance at most that a canary no worse than stable is stopped, however often it is looked at.'),
    tolerance: z.number().min(0).default(0.5).describe("How much higher than stable's the canary's error rate may be before stopping it is right (0.5: 1.5 × stable's)."),
    every: z.number().int().min(100).max(10_000).default(500).describe('How often the error counts are looked at while a step soaks, in ms.'),
  })
  .describe('Watches the error counts continuously while a step soaks and rolls a clearly bad canary back without waiting for the interval to end.');

export const JudgeSettingsSchema = z
  .strictObject({
    alpha: z.number().gt(0).lt(0.5).default(0.05).describe("The tests' significance level; their intervals are at 1 − alpha."),
    thresholds: z
      .strictObject({
        pass: z.number().min(0).max(100).default(90).describe('Score (0–100) at or above which the canary passes and the rollout goes on by itself.'),
        marginal: z.number().min(0).max(100).default(60).describe('Score at or above which (and below pass) the canary is marginal: the rollout pauses and a person decides. Below it, the canary fails and is rolled back.'),
      })
      .default({ pass: 90, marginal: 60 }),
    groups: z
      .strictObject({
        errors: z.number().min(0).default(60),
        latency: z.number().min(0).default(40),
      })
      .default({ errors: 60, latency: 40 })
      .describe("Each metric's weight in the score; they sum to 100."),
    errors: ErrorsSchema.default(ErrorsSchema.parse({})),
    latency: LatencySchema.default(LatencySchema.parse({})),
    earlyStop: z
      .union([EarlyStopSchema, z.literal(false)])
      .default(EarlyStopSchema.parse({}))
      .describe('The early stop (on by default with the judge); false turns it off.'),
  })
  .superRefine((judge, ctx) => {
    if (judge.thresholds.marginal > judge.thresholds.pass) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', 'marginal'],
        message: `marginal (${judge.thresholds.marginal}) is above pass (${judge.thresholds.pass}); a score cannot be marginal above the pass mark — make marginal ≤ pass`,
      });
    }
    const total = judge.groups.errors + judge.groups.latency;
    if (Math.abs(total - 100) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: `the weights sum to ${total}, not 100; make them shares of 100 (e.g. errors: 60, latency: 40)`,
      });
    }
  })
  .describe('Judge the new version against stable statistically (Pass / Marginal / Fail) instead of by the fixed limits above.');

export type JudgeSettings = z.output<typeof JudgeSettingsSchema>;
export type EarlyStopSettings = Exclude<JudgeSettings['earlyStop'], false>;

import { z } from 'zod';
import { PLACEHOLDERS, unknownPlaceholders } from '../providers/metrics/promql-template';
import { durationField } from './duration';
import { JudgeSettingsSchema } from './judge-settings';

/**
 * How progressive strategies (canary, blue/green) route traffic, measure it and judge
 * it. Defaults follow the release standard: 5 → 10 → 50 → 100 % with a soak at every
 * step, error rate under 1 %, p99 latency at most 1.25 × stable's.
 */

/** http or https only: `localhost:9090` parses as a URL with the scheme `localhost:`. */
const HTTP = /^https?$/;

export const RouterSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('embedded').describe('The built-in HTTP router: a reverse proxy per service environment.'),
      canaryUsers: z.array(z.string().min(1)).default([]).describe('User keys that always reach the canary (internal users).'),
    }),
    z.strictObject({
      kind: z.literal('haproxy').describe('An HAProxy you run; weights are set over its runtime API (no reload).'),
      socket: z.string().min(1).describe('Path of the HAProxy stats socket with admin level, e.g. /run/haproxy/admin.sock'),
      backend: z.string().min(1).describe('Backend holding the `stable` and `canary` servers.'),
      url: z.string().url({ protocol: HTTP, message: 'must be the URL clients use to reach HAProxy, e.g. http://127.0.0.1:8080' }).describe('Where HAProxy serves this environment.'),
    }),
  ])
  .describe('What splits traffic between versions.');

/** A PromQL query whose placeholders are all ones the Prometheus provider fills in, checked when the config is read rather than at the first analysis. */
const promqlTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(', ')}; the known ones are ${PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')}` });
    }
  });

export const MetricsSourceSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('embedded').describe("Reads the embedded router's own counters.") }),
    z.strictObject({
      kind: z.literal('prometheus'),
      url: z.string().url({ protocol: HTTP, message: 'must be the Prometheus base URL, e.g. http://127.0.0.1:9090' }),
      queries: z
        .strictObject({
          requests: promqlTemplate.optional(),
          errors: promqlTemplate.optional(),
          latencyP99Ms: promqlTemplate
            .nullable()
            .optional()
            .describe('null when the source has no latency percentile (e.g. HAProxy 2.6 exports only averages): latency is then not judged, and the analysis says so.'),
        })
        .default({})
        .describe('PromQL overriding the defaults; {{service}}, {{environment}}, {{version}}, {{role}} and {{window}} are filled in.'),
    }),
  ])
  .describe('Where measurements come from.');

export const AnalysisSchema = z
  .strictObject({
    maxErrorRate: z.number().min(0).max(1).default(0.01).describe('Highest acceptable error rate of the new version, 0–1 (0.01 = 1 %).'),
    maxLatencyP99Ms: z.number().positive().optional().describe('Highest acceptable p99 latency in ms, whatever stable does.'),
    maxLatencyRatio: z.number().min(1).default(1.25).describe("Highest acceptable p99 latency as a multiple of stable's."),
    latencyToleranceMs: z
      .number()
      .min(0)
      .default(10)
      .describe("p99 differences from stable smaller than this are noise, not a regression (the relative limit is never below stable's p99 plus this)."),
    minRequests: z.number().int().min(1).default(20).describe('Requests the new version must have served in a window before it is judged.'),
    failureLimit: z.number().int().min(1).default(2).describe('Failed checks that trigger a rollback.'),
    failureMode: z.enum(['consecutive', 'total']).default('consecutive').describe('Count failed checks in a row, or in total.'),
    inconclusiveLimit: z.number().int().min(1).default(3).describe('Inconclusive checks in a row after which the rollout pauses and asks a human.'),
    judge: JudgeSettingsSchema.optional(),
  })
  .describe('How a new version is judged against the stable one.');

const StepSchema = z.strictObject({
  weight: z.number().int('must be a whole percentage').min(1).max(100),
  soak: durationField('10m').optional().describe('How long to watch this step before the next one; required below 100 %.'),
});

export const DEFAULT_CANARY_STEPS = [
  { weight: 5, soak: 600_000 },
  { weight: 10, soak: 600_000 },
  { weight: 50, soak: 1_800_000 },
  { weight: 100 },
];

export const CanarySchema = z
  .strictObject({
    steps: z.array(StepSchema).min(1).default(DEFAULT_CANARY_STEPS).describe('Traffic steps; the last one is 100.'),
    interval: durationField('1m').default(60_000).describe('How often the analysis runs during a soak.'),
    analysis: AnalysisSchema.default(AnalysisSchema.parse({})),
  })
  .superRefine((canary, ctx) => {
    canary.steps.forEach((step, i) => {
      const previous = canary.steps[i - 1];
      if (previous && step.weight <= previous.weight) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'weight'], message: `weights must increase: ${step.weight} follows ${previous.weight}` });
      }
      if (step.weight < 100 && step.soak === undefined) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'soak'], message: `step ${step.weight} % needs a soak, e.g. soak: 10m` });
      }
    });
    const last = canary.steps[canary.steps.length - 1];
    if (last && last.weight !== 100) {
      ctx.addIssue({ code: 'custom', path: ['steps', canary.steps.length - 1, 'weight'], message: `the last step must be 100 (it is ${last.weight}); add { weight: 100 }` });
    }
  })
  .describe('Canary: a growing share of traffic, analysed at every step.');

export const BlueGreenSchema = z
  .strictObject({
    keepBlueFor: durationField('10m').default(600_000).describe('How long blue keeps running after the switch, for an instant switch back.'),
    interval: durationField('1m').default(60_000).describe('How often green is analysed while blue is kept.'),
    previewRequests: z.number().int().min(0).default(50).describe('Requests sent to green through the preview header before the switch, to analyse it.'),
    approveSwitch: z.boolean().default(false).describe('Wait for an approval before switching traffic to green.'),
    analysis: AnalysisSchema.default(AnalysisSchema.parse({})),
  })
  .describe('Blue/green: green beside blue, one switch, blue kept briefly, then retired.');

export type RouterConfig = z.output<typeof RouterSchema>;
export type MetricsSourceConfig = z.output<typeof MetricsSourceSchema>;
export type AnalysisConfig = z.output<typeof AnalysisSchema>;
export type CanaryConfig = z.output<typeof CanarySchema>;
export type BlueGreenConfig = z.output<typeof BlueGreenSchema>;

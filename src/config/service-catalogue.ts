import { z } from 'zod';
import { durationField } from './duration';
import { STATS_RETENTION_MS } from '../router/router-protocol';
import { BlueGreenSchema, CanarySchema, MetricsSourceSchema, RouterSchema } from './progressive-delivery';

/**
 * The service catalogue (`gantry.yaml`): what Gantry needs to know to build, test,
 * package, deploy and approve each service. Every object is strict so a typo is an
 * error, not a silently ignored key.
 */

const command = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must be a shell command, e.g. "npm run build"`)
    .describe(`Shell command (run with sh -c in the service's source directory): ${what}`);

const identity = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'must be a user name or e-mail address (letters, digits, . _ @ -)');

export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const TestCommandsSchema = z
  .strictObject({
    unit: command('the unit tests'),
    integration: command('the integration tests').optional(),
    lint: command('the linter'),
  })
  .describe('Commands of the test stage; each must exit 0 for the release to continue.');

export const ArtifactSchema = z
  .strictObject({
    include: z
      .array(z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
        message: 'must be a path inside the source directory (no leading / and no ..)',
      }))
      .min(1, 'list at least one file or directory to pack, e.g. [dist, package.json]')
      .describe('Files and directories, relative to the source directory, packed into the artifact.'),
  })
  .describe('What the versioned artifact contains.');

export const RunSchema = z
  .strictObject({
    command: command('the command that starts the service; it must listen on $PORT'),
    health: z
      .string()
      .regex(/^\//, 'must be an HTTP path starting with /, e.g. /healthz')
      .default('/healthz')
      .describe('HTTP path that answers 2xx when the service is ready.'),
    startTimeout: durationField('30s').default(30_000),
  })
  .describe('How the artifact is started.');

export const STRATEGIES = ['allAtOnce', 'canary', 'blueGreen'] as const;

export const EnvironmentSchema = z
  .strictObject({
    target: z.enum(['local']).default('local').describe('Runtime that runs the service: `local` runs it as a process on the worker machine.'),
    strategy: z.enum(STRATEGIES).default('allAtOnce').describe('How a new version replaces the running one.'),
    router: RouterSchema.default({ kind: 'embedded', canaryUsers: [] }),
    metrics: MetricsSourceSchema.default({ kind: 'embedded' }),
    canary: CanarySchema.default(CanarySchema.parse({})),
    blueGreen: BlueGreenSchema.default(BlueGreenSchema.parse({})),
  })
  .superRefine((environment, ctx) => {
    // Each analysis measures the last `interval`; the embedded router keeps only so much.
    if (environment.metrics.kind !== 'embedded' || (environment.strategy !== 'canary' && environment.strategy !== 'blueGreen')) return;
    const { interval } = environment[environment.strategy];
    if (interval > STATS_RETENTION_MS) {
      ctx.addIssue({
        code: 'custom',
        path: [environment.strategy, 'interval'],
        message: `the embedded metrics keep the last ${STATS_RETENTION_MS / 60_000} minutes, so an interval of ${interval / 60_000} minutes could never be measured; use at most 15m, or metrics: { kind: prometheus }`,
      });
    }
  })
  .describe('A deployment environment.');

export const ApprovalSchema = z
  .strictObject({
    approvers: z.array(identity).default([]).describe('Who may approve a production deploy.'),
    minApprovals: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(1),
    timeout: durationField('24h').default(86_400_000).describe('How long a release waits for approval before it expires.'),
  })
  .superRefine((approval, ctx) => {
    if (approval.minApprovals > 0 && approval.approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `minApprovals is ${approval.minApprovals} but no approvers are listed; add approvers or set minApprovals: 0`,
      });
    } else if (approval.minApprovals > approval.approvers.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['minApprovals'],
        message: `needs ${approval.minApprovals} approvals but only ${approval.approvers.length} approvers are listed; lower it or add approvers`,
      });
    }
  })
  .describe('Who must approve a production deploy.');

export const ServiceSchema = z
  .strictObject({
    source: z.string().min(1).describe('Source directory, relative to gantry.yaml.'),
    build: command('the build'),
    test: TestCommandsSchema,
    artifact: ArtifactSchema,
    run: RunSchema,
    smoke: command('the smoke test; $BASE_URL points at the deployed service').optional(),
    passEnv: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _')
          .refine((name) => !name.startsWith('TEMPORAL_'), "the worker's Temporal settings never reach a service's commands; remove it"),
      )
      .default([])
      .describe("Worker environment variables the build, test and smoke commands may see besides PATH, HOME, locale and the like (they never see the rest, e.g. the worker's TEMPORAL_API_KEY)."),
    environments: z
      .strictObject({ staging: EnvironmentSchema, production: EnvironmentSchema })
      .describe('Where the service is deployed: staging first, then production.'),
    approval: ApprovalSchema.default({ approvers: [], minApprovals: 0, timeout: 86_400_000 }),
  })
  .superRefine((service, ctx) => {
    if (service.environments.staging.strategy !== 'allAtOnce') {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', 'staging', 'strategy'],
        message: 'staging is deployed all at once; canary and blueGreen apply to production. Remove it or write allAtOnce',
      });
    }
  })
  .describe('One service in the catalogue.');

export const CatalogueSchema = z
  .strictObject({
    version: z.literal(1).describe('Format version of this file; write 1.'),
    services: z
      .record(
        z.string().regex(SERVICE_NAME_PATTERN, 'service names are lower-case letters, digits and -, starting with a letter'),
        ServiceSchema,
      )
      .refine((s) => Object.keys(s).length > 0, 'declare at least one service'),
  })
  .describe('Gantry service catalogue.');

export type Catalogue = z.output<typeof CatalogueSchema>;
export type ServiceConfig = z.output<typeof ServiceSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type ApprovalConfig = z.output<typeof ApprovalSchema>;
export type EnvironmentName = keyof ServiceConfig['environments'];

import { z } from 'zod';
import { gateProblems } from '../policy/environment-plan';
import { soakProblems } from '../policy/soak-precondition';
import { ChangePolicySchema } from './change-policy';
import { GroupsSchema, RolesSchema, SignersSchema } from './roles';
import { FlagRolesSchema, flagRoleProblems } from './flag-roles';
import { ApprovalSchema } from './approval-policy';
import { ENVIRONMENT_NAME_PATTERN, SERVICE_NAME_PATTERN } from '../shared/names';
import { durationField } from './duration';
import { STATS_RETENTION_MS } from '../contracts/router-protocol';
import { BlueGreenSchema, CanarySchema, MetricsSourceSchema, RouterSchema } from './progressive-delivery';
import { NotificationsSchema, ReviewSchema, notificationSecretProblems } from './notifications';
import { DatabaseSchema, MigrationsSchema } from './migrations-settings';

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
    .describe(`Shell command (run with sh -c in the service's directory of the release's checkout): ${what}`);

export { ENVIRONMENT_NAME_PATTERN, SERVICE_NAME_PATTERN };

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
        message: "must be a path inside the service's directory (no leading / and no ..)",
      }))
      .min(1, 'list at least one file or directory to pack, e.g. [dist, package.json]')
      .describe("Files and directories, relative to the service's directory, packed into the artifact."),
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

/** How a repository is named; only `relative` depends on where the catalogue lives. */
export type RepositoryForm = 'url' | 'scp' | 'absolute' | 'relative';

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** git's `<transport>::<address>` remote-helper syntax; `ext::` runs a command of the writer's choosing. */
const REMOTE_HELPER = /^[A-Za-z][A-Za-z0-9+.-]*::/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Which form a repository is written in, by git's own rule: `scheme://` is a URL; a
 * colon before the first slash is the scp-like ssh form (`git@host:org/repo.git`);
 * otherwise it is a local path, absolute or relative.
 */
export function repositoryForm(repository: string): RepositoryForm {
  if (URL_SCHEME.test(repository)) return 'url';
  if (repository.startsWith('/')) return 'absolute';
  const colon = repository.indexOf(':');
  const slash = repository.indexOf('/');
  if (colon >= 0 && (slash < 0 || colon < slash)) return 'scp';
  return 'relative';
}

export const RepositorySchema = z
  .string()
  .trim()
  .min(1, "name the service's git repository, e.g. https://git.example.com/shop/web.git or ./web")
  // git would take a leading - as an option, whatever comes after it.
  .refine((repository) => !repository.startsWith('-'), 'must not start with - (git would read it as an option); write ./ in front of a folder that does')
  .refine((repository) => !REMOTE_HELPER.test(repository), 'the <transport>::<address> form is not accepted; write a URL (https://, ssh://, file://), git@host:org/repo.git, or a path')
  .refine((repository) => !CONTROL_CHARACTER.test(repository), 'must not contain control characters such as a line break')
  .describe(
    "The service's git repository: a URL git can fetch (https://…, ssh://…, git@host:org/repo.git, file://…), an absolute path, or a path relative to the folder of this file, e.g. ./web.",
  );

/** `a/./b/` → `a/b`, `./` → `.`; plain string work because workflow code imports this module. */
function normalizeDirectory(directory: string): string {
  const parts = directory.split('/').filter((part) => part !== '' && part !== '.');
  return parts.length === 0 ? '.' : parts.join('/');
}

export const DirectorySchema = z
  .string()
  .trim()
  .min(1, "write . for the repository's root, or the folder that holds the service, e.g. services/web")
  .refine((directory) => !directory.startsWith('/') && !directory.split('/').includes('..'), {
    message: 'must be a folder inside the repository (no leading / and no ..), e.g. services/web',
  })
  // The default sits before the transform so the JSON Schema (what a person writes) shows it.
  .default('.')
  .transform(normalizeDirectory)
  .describe("Folder inside the repository that holds the service: its commands run there and artifact paths are relative to it. Defaults to the repository's root (.).");

/** Longest a single target command may run: a deploy and its retries must fit the 15 minutes Gantry gives a start. */
const MAX_TARGET_COMMAND_MS = 10 * 60_000;

const targetCommand = (what: string, example: string) =>
  z
    .string()
    .trim()
    .min(1, `must be a shell command that ${what}, e.g. ${example}`)
    .describe(`Shell command (run with sh -c in the worker's folder for this service environment) that ${what}.`);

export const CommandTargetSchema = z
  .strictObject({
    kind: z.literal('command').describe('Runs the service through shell commands of your own: kubectl, helm, nomad, ssh, a PaaS CLI.'),
    deploy: targetCommand(
      'starts the new version beside the running one and prints the URL it answers on as its last line (http://…)',
      'sh "$GANTRY_CATALOGUE_DIR/deploy/deploy.sh"',
    ),
    activate: targetCommand('makes the instance $GANTRY_INSTANCE the one serving the environment', 'kubectl rollout resume deploy/web'),
    stop: targetCommand('stops the instance $GANTRY_INSTANCE; stopping a stopped one must succeed', 'kubectl delete deploy/web-$GANTRY_INSTANCE --ignore-not-found'),
    status: targetCommand(
      'exits 0 when the instance $GANTRY_INSTANCE is healthy and non-zero otherwise; polled until healthy after a deploy',
      'kubectl rollout status deploy/web --timeout=5s',
    ),
    timeout: durationField('2m')
      .refine((ms) => ms <= MAX_TARGET_COMMAND_MS, 'must be at most 10m: a deploy and its retries must finish within the 15 minutes a start may take')
      .prefault('1m')
      .describe('How long each run of a command may take before its whole process group is killed (default 1m).'),
    retries: z
      .number()
      .int('must be a whole number of retries')
      .min(0)
      .max(10)
      .default(0)
      .describe('How many times deploy, activate and stop are run again after failing (non-zero exit or time-out) before Gantry gives up.'),
  })
  .superRefine((target, ctx) => {
    // A time-out over the limit has its own message already.
    if (target.timeout <= MAX_TARGET_COMMAND_MS && target.timeout * (target.retries + 1) > MAX_TARGET_COMMAND_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['retries'],
        message: `${target.retries + 1} runs of up to ${target.timeout / 1000} s each exceed the 10 minutes a deploy may take; lower retries or timeout`,
      });
    }
  })
  .describe('Deploys through shell commands; they get GANTRY_SERVICE, GANTRY_ENVIRONMENT, GANTRY_INSTANCE, GANTRY_VERSION, GANTRY_ARTIFACT and more in their environment.');

/** The kinds an object target may have, for the message about an unknown one. */
const TARGET_KINDS = ['command'] as const;

/**
 * A union reports only "invalid input"; this says which of its forms the value was
 * meant to be and what is wrong with it, naming the key inside the target.
 */
function targetProblem(issue: z.core.$ZodRawIssue): string {
  const input = issue.input;
  const objectForm = `an object { kind: ${TARGET_KINDS.join(' | ')}, deploy, activate, stop, status }`;
  const forms = `write target: local, or ${objectForm}`;
  if (typeof input === 'string') return `unknown target ${JSON.stringify(input)}; expected "local", or ${objectForm}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return `expected "local" or an object; ${forms}`;
  const kind: unknown = (input as Record<string, unknown>).kind;
  if (kind === undefined) return `missing required key "kind"; ${forms}`;
  if (!(TARGET_KINDS as readonly unknown[]).includes(kind)) {
    return `unknown target kind ${JSON.stringify(kind)} in target.kind; the kinds are ${TARGET_KINDS.join(', ')} (or write target: local)`;
  }
  // The object form was meant: its own problems, each named by its key.
  const branches = issue.code === 'invalid_union' ? issue.errors : [];
  const problems = (branches.at(-1) ?? []).map((inner) => `${inner.path.length > 0 ? `target.${inner.path.join('.')}: ` : ''}${inner.message}`);
  return problems.length > 0 ? problems.join('; ') : `not a valid ${String(kind)} target; ${forms}`;
}

export const TargetSchema = z
  .union([z.literal('local').describe('Runs the service as a process on the worker machine.'), CommandTargetSchema], { error: targetProblem })
  .describe('What runs the service: `local` (a process on the worker machine, the default) or { kind: command, … } (your own deploy commands).');

export const STRATEGIES = ['allAtOnce', 'canary', 'blueGreen'] as const;

export const EnvironmentSchema = z
  .strictObject({
    // prefault, not default: a default over a schema with transforms (durations) is left out of the JSON Schema.
    target: TargetSchema.prefault('local'),
    strategy: z.enum(STRATEGIES).default('allAtOnce').describe('How a new version replaces the running one.'),
    gate: z
      .enum(['approval', 'none'])
      .optional()
      .describe(
        "approval: the release waits for the service's approvals before deploying here; none: it does not. When no environment says, the approval is in front of the second environment (or the only one).",
      ),
    router: RouterSchema.default({ kind: 'embedded', canaryUsers: [] }),
    metrics: MetricsSourceSchema.default({ kind: 'embedded' }),
    canary: CanarySchema.default(CanarySchema.parse({})),
    blueGreen: BlueGreenSchema.default(BlueGreenSchema.parse({})),
    changePolicy: ChangePolicySchema.optional().describe("When changes may go out to this environment; its fields replace the service's (freezes add up)."),
    approval: ApprovalSchema.optional().describe("Only on the environment with the approval gate: its approval policy, instead of the service's."),
    soakInPrevious: durationField('2h')
      .optional()
      .describe(
        'How long a version must have run in the previous environment (the one before this in the list) before it may enter this one, e.g. 2h: the release waits durably, counted from when it finished deploying there. Not on the first environment.',
      ),
    database: DatabaseSchema.optional(),
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

export const ServiceSchema = z
  .strictObject({
    repository: RepositorySchema,
    directory: DirectorySchema,
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
      .record(z.string().regex(ENVIRONMENT_NAME_PATTERN, 'environment names are lower-case letters, digits and -, starting with a letter (e.g. production-eu)'), EnvironmentSchema)
      .refine((environments) => Object.keys(environments).length > 0, 'list at least one environment, e.g. staging: {} and production: {}')
      .default(() => ({ staging: EnvironmentSchema.parse({}), production: EnvironmentSchema.parse({}) }))
      .describe('Where the service is deployed, in order: a release goes through them one after the other (default: staging, then production).'),
    approval: ApprovalSchema.default(ApprovalSchema.parse({ minApprovals: 0 })),
    changePolicy: ChangePolicySchema.optional().describe("When changes of this service may go out; its fields replace the catalogue's (freezes add up)."),
    roles: RolesSchema.optional().describe("Who may start, steer and make exceptions for this service, besides the catalogue's roles."),
    groups: GroupsSchema.optional().describe("Groups this service's roles and approvals may name, besides the catalogue's."),
    signers: SignersSchema.optional().describe("People's SSH public keys for this service's signed decisions, besides the catalogue's."),
    notifications: NotificationsSchema.optional(),
    migrations: MigrationsSchema.optional(),
  })
  .superRefine((service, ctx) => {
    for (const problem of gateProblems(service.environments)) {
      ctx.addIssue({ code: 'custom', path: ['environments', problem.environment, 'gate'], message: problem.message });
    }
    for (const problem of soakProblems(service.environments)) {
      ctx.addIssue({ code: 'custom', path: ['environments', problem.environment, 'soakInPrevious'], message: problem.message });
    }
    for (const problem of notificationSecretProblems(service.passEnv, service.notifications)) ctx.addIssue({ code: 'custom', ...problem });
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
    changePolicy: ChangePolicySchema.optional().describe('When changes may go out, for every service: deploy windows, holidays, change freezes. Without it (and without one in a service or environment) releases are not held by windows.'),
    roles: RolesSchema.optional().describe('Who may do what, for every service: practitioners, process owners, emergency approvers, auditors.'),
    groups: GroupsSchema.optional(),
    signers: SignersSchema.optional(),
    review: ReviewSchema.optional(),
    flags: FlagRolesSchema.optional().describe("Who may set and kill feature flags (`gantry flags`), besides the catalogue's process owners. Without it anyone may."),
  })
  .superRefine((catalogue, ctx) => {
    for (const problem of flagRoleProblems(catalogue.flags, catalogue.groups)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .describe('Gantry service catalogue.');

export type Catalogue = z.output<typeof CatalogueSchema>;
export type ServiceConfig = z.output<typeof ServiceSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type TargetConfig = z.output<typeof TargetSchema>;
export type CommandTargetConfig = z.output<typeof CommandTargetSchema>;
export type { ApprovalConfig } from './approval-policy';


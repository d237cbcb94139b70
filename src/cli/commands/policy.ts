import type { Command } from 'commander';
import type { ServiceConfig } from '../../config/service-catalogue';
import { RISKS, type ChangeDecision, type Risk, decideChange } from '../../policy/change-window';
import { effectiveChangePolicy } from '../../policy/effective-change-policy';
import { describeInstant } from '../../policy/zoned-time';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { EXIT, invalidInput } from '../exit-codes';
import { parseZonedInstant } from '../zoned-instant';

/** One environment's answer, as `gantry policy check --json` prints it. */
export interface PolicyCheck {
  service: string;
  environment: string;
  risk: Risk;
  /** ISO 8601: the instant asked about. */
  at: string;
  /** Whether change management is on there (a changePolicy in the catalogue, service or environment). */
  managed: boolean;
  decision: ChangeDecision;
}

/**
 * `gantry policy check --service S [--environment E] [--at ISO-8601] [--risk R] [--json]`:
 * what the change policy would say to a release of S now (or at `--at`), environment by
 * environment, before anything starts. The rules are the platform's catalogue as the
 * workers hold it, or a catalogue file (`--file`) to try a change to them.
 * Exit 0 when every environment asked about is open, 1 when one holds or refuses.
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Ask the change policy (deploy windows, holidays, freezes) before a release starts.');
  policy
    .command('check')
    .description('Say whether a release of a service may deploy now (or at --at), and if not, until when it would wait.')
    .requiredOption('--service <name>', "service in the platform's catalogue")
    .option('--environment <name>', 'only this environment (default: each, in order)')
    .option('--at <instant>', 'the instant to ask about, ISO 8601 with a zone, e.g. 2026-12-04T16:00:00+01:00 (default: now)')
    .option('--risk <risk>', `the release's risk: ${RISKS.join(', ')}`, 'medium')
    .option('--file <gantry.yaml>', "a catalogue file instead of the platform's (to try a change to the rules)")
    .option('--json', 'print the answers as JSON', false)
    .action(async (opts: { service: string; environment?: string; at?: string; risk: string; file?: string; json: boolean }) => {
      const atMs = opts.at === undefined ? Date.now() : parseInstant(opts.at);
      if (!(RISKS as readonly string[]).includes(opts.risk)) throw invalidInput(`--risk: "${opts.risk}" is not a risk; use ${RISKS.join(', ')}`);
      const definition = await serviceDefinition(opts.service, opts.file);
      const environments = Object.keys(definition.environments);
      if (opts.environment !== undefined && !environments.includes(opts.environment)) {
        throw invalidInput(`--environment: ${opts.service} has no environment ${opts.environment}; it has ${environments.join(', ')}`);
      }
      const answers = (opts.environment ? [opts.environment] : environments).map((environment) => {
        const changePolicy = effectiveChangePolicy(definition.changePolicy, environment, definition.environments[environment].changePolicy);
        const request = { service: opts.service, environment, risk: opts.risk as Risk };
        const check: PolicyCheck = {
          ...request,
          at: new Date(atMs).toISOString(),
          managed: changePolicy !== undefined,
          decision: changePolicy ? decideChange(changePolicy, request, atMs) : { kind: 'allowed' },
        };
        return { check, timeZone: changePolicy?.timeZone };
      });
      const checks = answers.map((a) => a.check);
      process.stdout.write(opts.json ? `${JSON.stringify(checks, null, 2)}\n` : `${answers.map((a) => renderCheck(a.check, a.timeZone)).join('\n')}\n`);
      if (checks.some((c) => c.decision.kind !== 'allowed')) process.exitCode = EXIT.unsuccessful;
    });
}

function parseInstant(text: string): number {
  const ms = parseZonedInstant(text);
  if (Number.isNaN(ms)) throw invalidInput(`--at: "${text}" is not an ISO 8601 instant with a zone; write e.g. 2026-12-04T16:00:00+01:00 or 2026-12-04T15:00:00Z`);
  return ms;
}

async function serviceDefinition(service: string, file: string | undefined): Promise<ServiceConfig> {
  if (file !== undefined) {
    const { loadCatalogueForCli } = await import('./config');
    const loaded = loadCatalogueForCli(file);
    const definition = loaded.catalogue.services[service];
    if (!definition) throw invalidInput(`--service: ${file} does not declare ${service}; it declares ${Object.keys(loaded.catalogue.services).join(', ')}`);
    return definition;
  }
  const [{ connectClient }, { askPlatformCatalogue }] = await Promise.all([import('../../client/connect'), import('../../client/catalogue-client')]);
  const client = await connectClient();
  const report = await askPlatformCatalogue(client, process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE, { service });
  const definition = report.inForce?.services[service]?.definition;
  if (!report.inForce) throw invalidInput(`the workers hold no catalogue yet (${report.lastError?.message ?? 'none loaded'}); see \`gantry catalogue show\``);
  if (!definition) throw invalidInput(`--service: the platform's catalogue (${report.inForce.digest.slice(0, 19)}…) does not declare ${service}`);
  return definition;
}

/** One line per environment; `timeZone` is its policy's (none where no policy applies). */
function renderCheck(check: PolicyCheck, timeZone: string | undefined): string {
  const { decision } = check;
  const where = `${check.service} → ${check.environment}`;
  if (!timeZone) return `${where}: open (no change policy applies here)`;
  const when = describeInstant(Date.parse(check.at), timeZone);
  switch (decision.kind) {
    case 'allowed':
      return `${where}: open at ${when} (risk ${check.risk})`;
    case 'wait':
      return `${where}: held at ${when} until ${decision.until} — ${decision.reasons.join('; ')}`;
    case 'refused':
      return `${where}: refused at ${when} — ${decision.reason}`;
  }
}

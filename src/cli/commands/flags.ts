import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FlagDefinition } from '../../policy/flags/flag-document';
import { describeFlagProblems, parseFlagDocument } from '../../policy/flags/validate-flag-document';
import { type FlagChangeAnswer, type FlagView, flagKeyProblem } from '../../shared/flags';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { CliError, EXIT, invalidInput, unreachable } from '../exit-codes';

const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string): void => void process.stdout.write(`${text}\n`);

/**
 * `gantry flags list|show|set|kill`: feature flags as durable entities. Each flag's
 * entity (`flag/<key>`) holds its flagd definition and every change; a set or kill is
 * written to the flag store, and so pushed to applications, before the command returns.
 * Bad input (an invalid definition, an unknown flag, no role) exits 2 and changes nothing.
 */
export function registerFlagCommands(program: Command): void {
  const flags = program.command('flags').description('Feature flags (OpenFeature / flagd): list, show, set a definition, kill a flag at once.');

  flags
    .command('list')
    .description('Every flag Gantry holds: its state, default variant, targeting and last change.')
    .option('--json', 'print the flags as JSON', false)
    .action(async (opts: { json: boolean }) => {
      const [{ connectClient }, { listFlags }] = await Promise.all([import('../../client/connect'), import('../../client/flag-client')]);
      const views = await listFlags(await connectClient(), taskQueue());
      if (opts.json) return print(JSON.stringify(views, null, 2));
      if (views.length === 0) return print('No flags yet: create one with gantry flags set <flag> --file <definition.json> --as <who>.');
      for (const view of views) print(describeFlagLine(view));
    });

  flags
    .command('show <flag>')
    .description("One flag: its definition as the store serves it, whether it is killed, and its recent changes.")
    .option('--json', 'print the flag as JSON', false)
    .action(async (key: string, opts: { json: boolean }) => {
      refuseKey(key, 'nothing to show');
      const [{ connectClient }, { readFlag }] = await Promise.all([import('../../client/connect'), import('../../client/flag-client')]);
      const view = await readFlag(await connectClient(), taskQueue(), key);
      if (!view) throw invalidInput(`unknown flag ${key}: no flag of that key; see gantry flags list`);
      if (opts.json) return print(JSON.stringify(view, null, 2));
      print(describeFlag(view));
    });

  flags
    .command('set <flag>')
    .description("Replace a flag's definition (flagd JSON: one flag's definition, or a flag document holding it); created if new.")
    .requiredOption('--file <file>', 'the definition, e.g. { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" }')
    .requiredOption('--as <who>', 'who sets it (recorded; must be a flag editor when the catalogue names them)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print the accepted change as JSON', false)
    .action(async (key: string, opts: { file: string; as: string; reason?: string; json: boolean }) => {
      refuseKey(key, 'nothing set');
      const definition = readDefinition(key, opts.file);
      const request = { by: opts.as, ...(opts.reason?.trim() ? { reason: opts.reason.trim() } : {}), definition };
      const [{ connectClient }, { setFlag }] = await Promise.all([import('../../client/connect'), import('../../client/flag-client')]);
      const client = await connectClient();
      const answer = await answered(`flag ${key} not set`, () => setFlag(client, taskQueue(), key, request));
      print(opts.json ? JSON.stringify(answer, null, 2) : describeAnswer(answer));
    });

  flags
    .command('kill <flag>')
    .description('Turn a flag off for everyone at once (its off variant, targeting removed); recorded with the reason.')
    .requiredOption('--as <who>', 'who kills it (recorded; must be a flag killer or editor when the catalogue names them)')
    .option('--reason <text>', 'why (required, recorded)')
    .option('--json', 'print the accepted change as JSON', false)
    .action(async (key: string, opts: { as: string; reason?: string; json: boolean }) => {
      refuseKey(key, 'nothing killed');
      if (!opts.reason?.trim()) throw invalidInput(`flag ${key} not killed: --reason is required (it is recorded)`);
      const request = { by: opts.as, reason: opts.reason.trim() };
      const [{ connectClient }, { killFlag }] = await Promise.all([import('../../client/connect'), import('../../client/flag-client')]);
      const client = await connectClient();
      const answer = await answered(`flag ${key} not killed`, () => killFlag(client, taskQueue(), key, request));
      print(opts.json ? JSON.stringify(answer, null, 2) : describeAnswer(answer));
    });
}

function refuseKey(key: string, what: string): void {
  const problem = flagKeyProblem(key);
  if (problem) throw invalidInput(`${what}: ${problem}`);
}

/**
 * The file's definition of `key`, checked against flagd's schema before anything is sent:
 * either one flag's definition or a flag document whose `flags` hold this flag (only it).
 * Problems name the field as it would be stored: `flags.<key>.defaultVariant: …`.
 */
function readDefinition(key: string, file: string): FlagDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalidInput(`flag ${key} not set: cannot read --file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidInput(`flag ${key} not set: ${file} is not JSON (${(err as Error).message}); a flag definition is flagd's flag definition JSON`);
  }
  let definition: unknown = value;
  if (value !== null && typeof value === 'object' && 'flags' in value) {
    const document = value as { flags?: unknown; $evaluators?: unknown };
    const inFile = document.flags !== null && typeof document.flags === 'object' ? Object.keys(document.flags as object) : [];
    if (!inFile.includes(key) || inFile.length !== 1 || document.$evaluators !== undefined) {
      throw invalidInput(
        `flag ${key} not set: ${file} is a flag document with ${inFile.length ? `flags ${inFile.join(', ')}` : 'no flags'}${document.$evaluators !== undefined ? ' and $evaluators' : ''}; ` +
          `gantry flags set sets one flag: give a document with only flags.${key} (no $evaluators), or just its definition`,
      );
    }
    definition = (document.flags as Record<string, unknown>)[key];
  }
  const checked = parseFlagDocument(JSON.stringify({ flags: { [key]: definition } }));
  if (!checked.ok) throw invalidInput(`flag ${key} not set: ${file} is not valid flagd JSON:\n${indent(describeFlagProblems(checked.problems))}`);
  return checked.document.flags[key];
}

/** The entity's answer, or its refusal as exit 2 (a store that could not be written: exit 3). */
async function answered(what: string, change: () => Promise<FlagChangeAnswer>): Promise<FlagChangeAnswer> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const message = cause?.message ?? err.message;
      if (cause instanceof ApplicationFailure && cause.type === 'FlagStoreFailed') throw unreachable(`${what}: ${message}`);
      throw new CliError(EXIT.invalidInput, `${what}: ${message}`);
    }
    throw err;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function describeState(flag: FlagDefinition): string {
  return `${flag.state}, default ${flag.defaultVariant ?? '(code default)'}${flag.targeting ? ', with targeting' : ''}`;
}

function describeFlagLine(view: FlagView): string {
  const flag = view.definition!;
  const last = view.changes[view.changes.length - 1];
  const killed = view.killed ? `  KILLED by ${view.killed.by}: ${view.killed.reason}` : '';
  return `${view.key}  ${describeState(flag)}  (revision ${view.revision}${last ? `, ${last.kind} ${last.at} by ${last.by}` : ''})${killed}`;
}

function describeFlag(view: FlagView): string {
  const flag = view.definition!;
  const lines = [`${view.key}: ${describeState(flag)} (store revision ${view.revision})`];
  if (view.killed) lines.push(`Killed ${view.killed.at} by ${view.killed.by}: ${view.killed.reason}`);
  lines.push('Definition:', indent(JSON.stringify(flag, null, 2)));
  if (view.changes.length) {
    lines.push('Changes:');
    for (const change of view.changes) lines.push(`  #${change.seq} ${change.at} ${change.kind} by ${change.by}${change.reason ? ` (${change.reason})` : ''}: ${change.summary.join('; ')} → revision ${change.revision}`);
  }
  if (view.refusals.length) {
    lines.push('Refused:');
    for (const refusal of view.refusals) lines.push(`  ${refusal.at} ${refusal.command} by ${refusal.by}: ${refusal.refusal.split('\n')[0]}`);
  }
  return lines.join('\n');
}

function describeAnswer(answer: FlagChangeAnswer): string {
  if (answer.kind === 'killed') {
    const off = answer.method === 'off_variant' ? `every evaluation now gets variant ${answer.offVariant}` : 'it has no off variant, so it is DISABLED: applications get the default in their code';
    return `Killed ${answer.key} (store revision ${answer.revision}): ${answer.summary.join('; ')}; ${off}.`;
  }
  return `Set ${answer.key} (store revision ${answer.revision}): ${answer.summary.join('; ')}.`;
}

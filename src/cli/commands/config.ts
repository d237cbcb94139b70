import { writeFileAtomically } from '../../providers/write-file-atomically';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, type ConfigIssue } from '../../config/config-error';
import { displayPath } from '../../config/display-path';
import type { LoadedCatalogue } from '../../config/load-catalogue';
import { CliError, EXIT } from '../exit-codes';

/**
 * The catalogue loader (YAML, the schema's checks) on first use: every start of the CLI
 * registers these commands, and most (`release start` in CI above all) never read a catalogue.
 */
function catalogueLoader(): typeof import('../../config/load-catalogue') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; loadCatalogueForCli is synchronous
  return require('../../config/load-catalogue');
}

/** What `gantry config validate --json` prints; CI can read `valid` instead of parsing text. */
export interface ValidationReport {
  valid: boolean;
  /** Absolute path of the catalogue that was checked (or looked for). */
  file: string;
  services: string[];
  issues: ConfigIssue[];
}

/** `gantry config validate` and `gantry config schema`. */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('Check the service catalogue (gantry.yaml) and print its JSON Schema.');

  config
    .command('validate')
    .description('Check a catalogue and list every problem with its line; exits 2 if there is any.')
    .argument('[file]', 'catalogue to check (default: --config, $GANTRY_CONFIG, or ./gantry.yaml)')
    .option('--json', 'print {valid, file, services, issues} as JSON')
    .action((file: string | undefined, options: { json?: boolean }, command: Command) => {
      validateCatalogueCommand(file ?? configOption(command), options.json === true);
    });

  config
    .command('schema')
    .description('Print the JSON Schema of gantry.yaml, for editors and other tools.')
    .option('--write <path>', 'write it to this file instead of printing it')
    .action(async (options: { write?: string }) => {
      const { catalogueJsonSchemaText } = await import('../../config/catalogue-json-schema');
      printOrWriteSchema(catalogueJsonSchemaText(), options.write);
    });
}

/**
 * Finds and loads the catalogue for a command, turning a config problem into the
 * invalid-input exit code with every issue in the message. For commands that need a
 * valid catalogue before they start anything.
 */
export function loadCatalogueForCli(configPath?: string): LoadedCatalogue {
  const { findCatalogueFile, loadCatalogue } = catalogueLoader();
  try {
    return loadCatalogue(findCatalogueFile(configPath));
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.invalidInput, `${summary(err)}:\n${err.message}`);
    throw err;
  }
}

function validateCatalogueCommand(configPath: string | undefined, json: boolean): void {
  const { report, failure } = checkCatalogue(configPath);
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (failure) {
    // The issues go out one a line, without a prefix, so editors and CI logs link them.
    process.stderr.write(`${failure.error.message}\n`);
  } else {
    const count = report.services.length;
    process.stdout.write(
      `${displayPath(report.file)} is valid: ${count} ${count === 1 ? 'service' : 'services'} (${report.services.join(', ')})\n`,
    );
  }
  if (failure) throw new CliError(EXIT.invalidInput, failure.summary);
}

function checkCatalogue(configPath: string | undefined): { report: ValidationReport; failure?: { error: ConfigError; summary: string } } {
  const { findCatalogueFile, loadCatalogue } = catalogueLoader();
  let file: string;
  try {
    file = findCatalogueFile(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { report: failedReport(err), failure: { error: err, summary: 'no catalogue to validate' } };
  }
  try {
    const loaded = loadCatalogue(file);
    return { report: { valid: true, file, services: Object.keys(loaded.catalogue.services), issues: [] } };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { report: failedReport(err), failure: { error: err, summary: summary(err) } };
  }
}

function failedReport(error: ConfigError): ValidationReport {
  return { valid: false, file: error.file, services: [], issues: error.issues };
}

function printOrWriteSchema(text: string, target: string | undefined): void {
  if (target === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomically(path.resolve(target), text);
  } catch (err) {
    throw new CliError(EXIT.unsuccessful, `cannot write ${target}: ${(err as Error).message}`);
  }
  process.stdout.write(`wrote ${target}\n`);
}

/** `gantry.yaml is invalid: 3 problems`. */
function summary(error: ConfigError): string {
  const count = error.issues.length;
  return `${error.displayFile} is invalid: ${count} ${count === 1 ? 'problem' : 'problems'}`;
}

/** A global `--config <file>`, if the program defines one. */
function configOption(command: Command): string | undefined {
  const value: unknown = command.optsWithGlobals().config;
  return typeof value === 'string' ? value : undefined;
}

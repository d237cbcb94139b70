import { Command, CommanderError } from 'commander';
import { ConnectionConfigError } from '../worker/connection';
import { CliError, EXIT } from './exit-codes';
import { registerArtifactCommands } from './commands/artifact';
import { registerCatalogueCommands } from './commands/catalogue';
import { registerConfigCommands } from './commands/config';
import { registerDoctorCommand } from './commands/doctor';
import { registerEnvironmentCommands } from './commands/env';
import { registerReleaseCommands } from './commands/release';
import { registerDevCommands } from './commands/dev';
import { registerPolicyCommands } from './commands/policy';
import { registerFreezeCommands } from './commands/freeze';
import { registerAuditCommands } from './commands/audit';
import { registerReportCommand } from './commands/report';
import { registerReviewCommands } from './commands/review';
import { registerBoardCommand } from './commands/board';
import { registerMigrationCommands } from './commands/migrations';
import { registerFlagCommands } from './commands/flags';

/** Builds the `gantry` program; each command module registers its own subcommands. */
export function buildProgram(): Command {
  const program = new Command('gantry')
    .description('Release orchestration on Temporal: build, test, package, stage, approve and ship a version.')
    .showHelpAfterError()
    .exitOverride();
  registerConfigCommands(program);
  registerCatalogueCommands(program);
  registerReleaseCommands(program);
  registerArtifactCommands(program);
  registerEnvironmentCommands(program);
  registerPolicyCommands(program);
  registerMigrationCommands(program);
  registerFreezeCommands(program);
  registerFlagCommands(program);
  registerAuditCommands(program);
  registerReportCommand(program);
  registerReviewCommands(program);
  registerBoardCommand(program);
  registerDevCommands(program);
  registerDoctorCommand(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`gantry: ${err.message}\n`);
      return err.exitCode;
    }
    // Problems with the settings given rather than failures: exit 2, nothing started.
    // (`gantry worker`, `dev` and `demo` turn their own settings errors into CliErrors.)
    if (err instanceof ConnectionConfigError) {
      process.stderr.write(`gantry: ${err.message}\n`);
      return EXIT.invalidInput;
    }
    if (err instanceof CommanderError) {
      // Help and version exit 0; every usage error is invalid input.
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    throw err;
  }
}

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const GANTRY_BIN = path.join(path.resolve(__dirname, '..', '..'), 'bin', 'gantry.js');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandLines {
  /** Runs the real `gantry` CLI to its end. */
  gantry(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CommandResult>;
  /** Starts the real `gantry` CLI and hands back the child, for tests that signal or follow it. */
  spawnGantry(args: string[]): { child: ChildProcess; done: Promise<CommandResult> };
  /** Runs the real `temporal` CLI against the stack's server. */
  temporal(args: string[]): Promise<CommandResult>;
}

export function temporalCli(): string {
  const cli = process.env.GANTRY_TEMPORAL_CLI;
  if (!cli) throw new Error('GANTRY_TEMPORAL_CLI is not set: run the e2e tests through jest (its globalSetup resolves the CLI)');
  return cli;
}

function collect(child: ChildProcess): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** The `gantry` and `temporal` command lines as a person runs them: in `dir`, with the stack's environment. */
export function commandLines(dir: string, env: NodeJS.ProcessEnv, address: string): CommandLines {
  const spawnGantry = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [GANTRY_BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    return { child, done: collect(child) };
  };
  return {
    gantry: (args, extraEnv) => spawnGantry(args, extraEnv).done,
    spawnGantry: (args) => spawnGantry(args),
    temporal(args) {
      return new Promise((resolve) => {
        execFile(temporalCli(), [...args, '--address', address, '--namespace', 'default'], { env }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    },
  };
}

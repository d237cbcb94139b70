import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { loadCatalogueForCli, registerConfigCommands } from '../../src/cli/commands/config';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { catalogueJsonSchemaText } from '../../src/config/catalogue-json-schema';

const SERVICE = (name: string) => `  ${name}:
    repository: ./${name}
    build: npm run build
    test: { unit: npm test, lint: npm run lint }
    artifact: { include: [dist] }
    run: { command: node dist/server.js }
    environments: { staging: {}, production: {} }
`;

const VALID = `version: 1\nservices:\n${SERVICE('web')}${SERVICE('api')}`;
// Breaks the format version and the first service's build key; `api` stays valid.
const INVALID = VALID.replace('version: 1', 'version: 2').replace('build: npm run build', 'buidl: npm run build');

interface CliRun {
  stdout: string;
  stderr: string;
  /** What the command threw; the CLI's main turns a CliError into its exit code. */
  error?: unknown;
}

async function runGantry(args: string[]): Promise<CliRun> {
  const program = new Command('gantry').exitOverride();
  registerConfigCommands(program);
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function exitCodeOf(run: CliRun): number {
  if (run.error === undefined) return EXIT.ok;
  if (run.error instanceof CliError) return run.error.exitCode;
  throw run.error;
}

let workDir: string;
let validFile: string;
let invalidFile: string;
const savedEnv = process.env.GANTRY_CONFIG;

beforeAll(() => {
  delete process.env.GANTRY_CONFIG;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-cli-'));
  validFile = path.join(workDir, 'gantry.yaml');
  invalidFile = path.join(workDir, 'broken.yaml');
  fs.writeFileSync(validFile, VALID);
  fs.writeFileSync(invalidFile, INVALID);
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
  if (savedEnv !== undefined) process.env.GANTRY_CONFIG = savedEnv;
});

describe('gantry config validate', () => {
  test('reports a valid catalogue found in the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(workDir);
    try {
      const run = await runGantry(['config', 'validate']);
      expect(exitCodeOf(run)).toBe(EXIT.ok);
      expect(run.stdout).toBe('gantry.yaml is valid: 2 services (web, api)\n');
    } finally {
      process.chdir(cwd);
    }
  });

  test('lists every problem with its line and exits 2', async () => {
    const run = await runGantry(['config', 'validate', invalidFile]);
    expect(exitCodeOf(run)).toBe(EXIT.invalidInput);
    expect((run.error as Error).message).toBe(`${invalidFile} is invalid: 3 problems`);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${invalidFile}:1:10 version: must be 1, got 2 — format version of this file; write 1`,
      expect.stringMatching(new RegExp(`^${invalidFile}:3:3 services\\.web\\.build: missing required key "build"`)),
      `${invalidFile}:5:5 services.web.buidl: unknown key "buidl"; did you mean "build"?`,
    ]);
    expect(run.stdout).toBe('');
  });

  test('a soak precondition on the first environment exits 2 naming the field', async () => {
    const file = path.join(workDir, 'soak-first.yaml');
    fs.writeFileSync(file, VALID.replaceAll('environments: { staging: {}, production: {} }', 'environments: { staging: { soakInPrevious: 1h }, production: { soakInPrevious: 2h } }'));
    const run = await runGantry(['config', 'validate', file]);
    expect(exitCodeOf(run)).toBe(EXIT.invalidInput);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+ services\\.web\\.environments\\.staging\\.soakInPrevious: staging is the first environment, so there is no previous one`)),
      expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+ services\\.api\\.environments\\.staging\\.soakInPrevious: staging is the first environment`)),
    ]);
  });

  test("a canary judge whose marginal mark is above its pass mark exits 2 naming the field and the fix", async () => {
    const file = path.join(workDir, 'judge-thresholds.yaml');
    const judged = 'production: { strategy: canary, canary: { analysis: { judge: { thresholds: { pass: 70, marginal: 80 } } } } }';
    fs.writeFileSync(file, VALID.replace('environments: { staging: {}, production: {} }', `environments: { staging: {}, ${judged} }`));
    const run = await runGantry(['config', 'validate', file]);
    expect(exitCodeOf(run)).toBe(EXIT.invalidInput);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^${file}:\\d+:\\d+ services\\.web\\.environments\\.production\\.canary\\.analysis\\.judge\\.thresholds\\.marginal: marginal \\(80\\) is above pass \\(70\\).*make marginal ≤ pass`),
      ),
    ]);
  });

  test('--json reports a valid catalogue for machines', async () => {
    const run = await runGantry(['config', 'validate', validFile, '--json']);
    expect(exitCodeOf(run)).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual({ valid: true, file: validFile, services: ['web', 'api'], issues: [] });
  });

  test('--json reports the problems of an invalid catalogue and still exits 2', async () => {
    const run = await runGantry(['config', 'validate', invalidFile, '--json']);
    expect(exitCodeOf(run)).toBe(EXIT.invalidInput);
    const report = JSON.parse(run.stdout) as { valid: boolean; file: string; issues: { path: string; line?: number }[] };
    expect(report.valid).toBe(false);
    expect(report.file).toBe(invalidFile);
    expect(report.issues.map((issue) => [issue.path, issue.line])).toEqual([
      ['version', 1],
      ['services.web.build', 3],
      ['services.web.buidl', 5],
    ]);
  });

  test('says where it looked when there is no catalogue', async () => {
    const missing = path.join(workDir, 'missing.yaml');
    const run = await runGantry(['config', 'validate', missing]);
    expect(exitCodeOf(run)).toBe(EXIT.invalidInput);
    expect((run.error as Error).message).toBe('no catalogue to validate');
    expect(run.stderr).toContain(`no catalogue found; tried ${missing} (the path given). Pass the file with --config <file>`);

    const json = await runGantry(['config', 'validate', missing, '--json']);
    expect(exitCodeOf(json)).toBe(EXIT.invalidInput);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, file: missing, services: [] });
  });
});

describe('gantry config schema', () => {
  test('prints the JSON Schema', async () => {
    const run = await runGantry(['config', 'schema']);
    expect(exitCodeOf(run)).toBe(EXIT.ok);
    expect(run.stdout).toBe(catalogueJsonSchemaText());
  });

  test('--write replaces the file atomically and leaves no temporary file', async () => {
    const target = path.join(workDir, 'out', 'nested', 'gantry.schema.json');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, '{"stale": true}\n');

    const run = await runGantry(['config', 'schema', '--write', target]);
    expect(exitCodeOf(run)).toBe(EXIT.ok);
    expect(run.stdout).toBe(`wrote ${target}\n`);
    expect(fs.readFileSync(target, 'utf8')).toBe(catalogueJsonSchemaText());
    expect(fs.readdirSync(path.dirname(target))).toEqual(['gantry.schema.json']);
  });

  test('--write creates missing directories', async () => {
    const target = path.join(workDir, 'fresh', 'schema.json');
    expect(exitCodeOf(await runGantry(['config', 'schema', '--write', target]))).toBe(EXIT.ok);
    expect(fs.readFileSync(target, 'utf8')).toBe(catalogueJsonSchemaText());
  });

  test('--write that cannot write says why and exits 1', async () => {
    const blocker = path.join(workDir, 'a-file');
    fs.writeFileSync(blocker, '');
    const run = await runGantry(['config', 'schema', '--write', path.join(blocker, 'schema.json')]);
    expect(exitCodeOf(run)).toBe(EXIT.unsuccessful);
    expect((run.error as Error).message).toMatch(/^cannot write .*a-file\/schema\.json: /);
  });
});

describe('loadCatalogueForCli', () => {
  test('returns the catalogue when it is valid', () => {
    expect(loadCatalogueForCli(validFile).service('web').repository).toBe(path.join(workDir, 'web'));
  });

  test('turns a config problem into invalid input with every issue', () => {
    let error: unknown;
    try {
      loadCatalogueForCli(invalidFile);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.invalidInput);
    expect((error as CliError).message.split('\n')).toHaveLength(4);
    expect((error as CliError).message).toMatch(/^.*broken\.yaml is invalid: 3 problems:\n/);
  });
});

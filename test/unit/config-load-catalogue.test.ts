import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, findCatalogueFile, loadCatalogue, parseCatalogue } from '../../src/config/load-catalogue';
import { EnvironmentSchema } from '../../src/config/service-catalogue';

const CATALOGUE = `# Two services: one spelled out in full, one relying on defaults.
version: 1
services:
  web:
    repository: ./web
    build: npm run build
    test:
      unit: npm test
      lint: npm run lint
    artifact:
      include: [dist, package.json]
    run:
      command: node dist/server.js
      health: /ready
      startTimeout: 1m30s
    environments:
      staging: {}
      production:
        target: local
        strategy: allAtOnce
    approval:
      approvers: [alice, bob@example.com]
      minApprovals: 2
      timeout: 2h
  api:
    repository: https://git.example.com/shop/monorepo.git
    directory: services/api/
    build: make
    test:
      unit: make test
      integration: make integration
      lint: make lint
    artifact:
      include: [bin/api]
    run:
      command: ./bin/api
    smoke: curl -f "$BASE_URL/healthz"
    environments:
      staging: {}
      production: {}
`;

/**
 * What an environment that names only its target and strategy gets for router, metrics,
 * canary and blue/green (their values are tested in config-progressive-delivery.test.ts).
 */
const { router, metrics, canary, blueGreen } = EnvironmentSchema.parse({});
const PROGRESSIVE_DEFAULTS = { router, metrics, canary, blueGreen };

let workDir: string;
let catalogueFile: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-config-'));
  fs.mkdirSync(path.join(workDir, 'web'));
  fs.mkdirSync(path.join(workDir, 'services', 'api'), { recursive: true });
  catalogueFile = path.join(workDir, 'gantry.yaml');
  fs.writeFileSync(catalogueFile, CATALOGUE);
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe('loadCatalogue', () => {
  test('loads a valid catalogue with durations in milliseconds', () => {
    const loaded = loadCatalogue(catalogueFile);
    expect(loaded.file).toBe(catalogueFile);
    expect(loaded.repositoryBase).toBe(workDir);
    expect(Object.keys(loaded.catalogue.services)).toEqual(['web', 'api']);
    const web = loaded.catalogue.services.web;
    expect(web.run).toEqual({ command: 'node dist/server.js', health: '/ready', startTimeout: 90_000 });
    expect(web.approval).toEqual({ approvers: ['alice', 'bob@example.com'], minApprovals: 2, timeout: 7_200_000, requiredGroups: [], require: { comment: false, ticket: false, signature: false }, onTimeout: 'expire', byAnalysis: false });
    expect(web.environments.staging).toEqual({ target: 'local', strategy: 'allAtOnce', ...PROGRESSIVE_DEFAULTS });
  });

  test('fills in the defaults of what a service leaves out', () => {
    const api = loadCatalogue(catalogueFile).catalogue.services.api;
    expect(api.run).toEqual({ command: './bin/api', health: '/healthz', startTimeout: 30_000 });
    expect(api.approval).toEqual({ approvers: [], minApprovals: 0, timeout: 86_400_000, requiredGroups: [], require: { comment: false, ticket: false, signature: false }, onTimeout: 'expire', byAnalysis: false });
    expect(api.environments).toEqual({
      staging: { target: 'local', strategy: 'allAtOnce', ...PROGRESSIVE_DEFAULTS },
      production: { target: 'local', strategy: 'allAtOnce', ...PROGRESSIVE_DEFAULTS },
    });
    expect(api.test).toEqual({ unit: 'make test', integration: 'make integration', lint: 'make lint' });
    expect(api.smoke).toBe('curl -f "$BASE_URL/healthz"');
  });

  test('accepts a path relative to the working directory', () => {
    const loaded = loadCatalogue(path.relative(process.cwd(), catalogueFile));
    expect(loaded.file).toBe(catalogueFile);
  });

  test('resolves a service: its repository, and the folder inside it', () => {
    const loaded = loadCatalogue(catalogueFile);
    const api = loaded.service('api');
    expect(api.name).toBe('api');
    expect(api.repository).toBe('https://git.example.com/shop/monorepo.git');
    expect(api.directory).toBe('services/api');
    expect(api.config.build).toBe('make');
    expect(loaded.service('web')).toMatchObject({ repository: path.join(workDir, 'web'), directory: '.' });
  });

  test('does not look for the repositories: they are checked when a release is admitted', () => {
    const file = path.join(workDir, 'elsewhere.yaml');
    fs.writeFileSync(file, CATALOGUE.replace('repository: ./web', 'repository: ./not-there'));
    expect(loadCatalogue(file).service('web').repository).toBe(path.join(workDir, 'not-there'));
  });

  test('refuses an unknown service, naming the known ones', () => {
    const loaded = loadCatalogue(catalogueFile);
    expect(() => loaded.service('wbe')).toThrow(ConfigError);
    expect(() => loaded.service('wbe')).toThrow('services.wbe: unknown service "wbe"; did you mean "web"? The catalogue declares web, api');
    expect(() => loaded.service('billing')).toThrow('unknown service "billing"; the catalogue declares web, api');
    // Inherited object properties are not services.
    expect(() => loaded.service('constructor')).toThrow(ConfigError);
  });
});

/** One service with the given lines in place of its repository line. */
const withRepository = (lines: string): string => CATALOGUE.replace('    repository: ./web\n', lines);

function parseError(text: string, origin: Parameters<typeof parseCatalogue>[1]): ConfigError {
  try {
    parseCatalogue(text, origin);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the catalogue to be refused');
}

describe('parseCatalogue: repository and directory', () => {
  const GIT_ORIGIN = { file: 'https://git.example.com/platform.git#main:gantry.yaml' };

  test.each([
    'https://git.example.com/shop/web.git',
    'ssh://git@git.example.com:2222/shop/web.git',
    'git@git.example.com:shop/web.git',
    'file:///srv/git/web.git',
    '/srv/git/web',
  ])('keeps %s as given, with or without a base folder', (repository) => {
    const text = withRepository(`    repository: ${repository}\n`);
    expect(parseCatalogue(text, { file: '/etc/gantry/gantry.yaml', repositoryBase: '/etc/gantry' }).service('web').repository).toBe(repository);
    expect(parseCatalogue(text, GIT_ORIGIN).service('web').repository).toBe(repository);
  });

  test.each([
    ['./web', '/srv/platform/web'],
    ['web', '/srv/platform/web'],
    ['../repos/web.git', '/srv/repos/web.git'],
  ])('resolves the relative path %s against the base folder', (repository, expected) => {
    const text = withRepository(`    repository: ${repository}\n`);
    const loaded = parseCatalogue(text, { file: '/srv/platform/gantry.yaml', repositoryBase: '/srv/platform' });
    expect(loaded.repositoryBase).toBe('/srv/platform');
    expect(loaded.service('web').repository).toBe(expected);
  });

  test('refuses a relative repository in a catalogue kept in git, naming where it came from', () => {
    const error = parseError(CATALOGUE, GIT_ORIGIN);
    expect(error.issues).toEqual([
      {
        path: 'services.web.repository',
        line: 5,
        column: 17,
        message: 'a catalogue kept in git must name repositories by URL or absolute path; a relative path has no folder to resolve against',
      },
    ]);
    expect(error.message).toBe(`${GIT_ORIGIN.file}:5:17 services.web.repository: ${error.issues[0].message}`);
    expect(error.file).toBe(GIT_ORIGIN.file);
  });

  test('names the origin as displayFile says', () => {
    const error = parseError('version: 2\n' + CATALOGUE.split('\n').slice(2).join('\n'), { file: '/srv/platform/gantry.yaml', displayFile: 'gantry.yaml', repositoryBase: '/srv/platform' });
    expect(error.message).toMatch(/^gantry\.yaml:1:10 version: must be 1/);
  });

  test('requires a repository', () => {
    const error = parseError(withRepository(''), { file: 'gantry.yaml', repositoryBase: '/srv' });
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'services.web.repository',
        line: 4,
        message: expect.stringMatching(/^missing required key "repository" — the service's git repository: a URL git can fetch/),
      }),
    ]);
  });

  test.each([
    ['an empty repository', '""', /^name the service's git repository, e\.g\. https:/],
    ['a repository git would take for an option', '--upload-pack=touch /tmp/pwned', /^must not start with - \(git would read it as an option\)/],
    ["git's remote-helper form, which can run commands", '"ext::sh -c touch% /tmp/pwned"', /^the <transport>::<address> form is not accepted/],
  ])('refuses %s', (_name, value, message) => {
    const error = parseError(withRepository(`    repository: ${value}\n`), { file: 'gantry.yaml', repositoryBase: '/srv' });
    expect(error.issues).toEqual([expect.objectContaining({ path: 'services.web.repository', line: 5, message: expect.stringMatching(message) })]);
  });

  test('directory defaults to the root and is normalised', () => {
    const origin = { file: 'gantry.yaml', repositoryBase: '/srv' };
    expect(parseCatalogue(CATALOGUE, origin).service('web').directory).toBe('.');
    expect(parseCatalogue(CATALOGUE, origin).catalogue.services.web.directory).toBe('.');
    expect(parseCatalogue(withRepository('    repository: ./web\n    directory: ./services//web/\n'), origin).service('web').directory).toBe('services/web');
  });

  test.each(['..', 'services/../../etc', '/srv/web'])('refuses the directory %s, which is not inside the repository', (directory) => {
    const error = parseError(withRepository(`    repository: ./web\n    directory: ${directory}\n`), { file: 'gantry.yaml', repositoryBase: '/srv' });
    expect(error.issues).toEqual([
      {
        path: 'services.web.directory',
        line: 6,
        column: 16,
        message: 'must be a folder inside the repository (no leading / and no ..), e.g. services/web',
      },
    ]);
  });

  test('tells a catalogue that still says source: what replaced it, at that key', () => {
    const error = parseError(withRepository('    source: ./web\n'), { file: 'gantry.yaml', repositoryBase: '/srv' });
    expect(error.issues).toContainEqual({
      path: 'services.web.source',
      line: 5,
      column: 5,
      message:
        "source was replaced by repository: name the service's git repository (a URL, or a path relative to this file) and, for a service in a subfolder of it, directory: <folder>",
    });
    // The missing repository is reported too, so nothing is left for a second run.
    expect(error.issues.map((issue) => issue.path)).toEqual(['services.web.repository', 'services.web.source']);
  });

  test('source: is an ordinary unknown key where repository is not allowed', () => {
    const error = parseError(CATALOGUE.replace('version: 1', 'version: 1\nsource: ./web'), { file: 'gantry.yaml', repositoryBase: '/srv' });
    expect(error.issues).toEqual([expect.objectContaining({ path: 'source', message: 'unknown key "source"; the keys allowed here are version, services, changePolicy, roles, groups, signers, review, flags' })]);
  });
});

describe('findCatalogueFile', () => {
  const savedEnv = process.env.GANTRY_CONFIG;
  afterEach(() => {
    if (savedEnv === undefined) delete process.env.GANTRY_CONFIG;
    else process.env.GANTRY_CONFIG = savedEnv;
  });

  test('uses ./gantry.yaml when nothing else is named', () => {
    delete process.env.GANTRY_CONFIG;
    expect(findCatalogueFile(undefined, workDir)).toBe(catalogueFile);
  });

  test('prefers an explicit path, resolved against the working directory', () => {
    fs.copyFileSync(catalogueFile, path.join(workDir, 'other.yaml'));
    process.env.GANTRY_CONFIG = catalogueFile;
    expect(findCatalogueFile('other.yaml', workDir)).toBe(path.join(workDir, 'other.yaml'));
  });

  test('uses $GANTRY_CONFIG when no path is given', () => {
    process.env.GANTRY_CONFIG = catalogueFile;
    expect(findCatalogueFile(undefined, os.tmpdir())).toBe(catalogueFile);
  });

  test('takes a directory as the gantry.yaml inside it', () => {
    expect(findCatalogueFile(workDir)).toBe(catalogueFile);
  });

  test('says which paths it tried and how to name the file', () => {
    delete process.env.GANTRY_CONFIG;
    const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-empty-'));
    try {
      expect(() => findCatalogueFile(undefined, emptyDir)).toThrow(ConfigError);
      expect(() => findCatalogueFile(undefined, emptyDir)).toThrow(
        `gantry.yaml: no catalogue found; tried ${path.join(emptyDir, 'gantry.yaml')} (the default). Pass the file with --config <file>`,
      );
      process.env.GANTRY_CONFIG = 'nope.yaml';
      expect(() => findCatalogueFile(undefined, emptyDir)).toThrow(`tried ${path.join(emptyDir, 'nope.yaml')} ($GANTRY_CONFIG)`);
      expect(() => findCatalogueFile(emptyDir)).toThrow(
        `tried ${emptyDir} and ${path.join(emptyDir, 'gantry.yaml')} (the path given)`,
      );
    } finally {
      fs.rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

test('the example catalogue shipped in examples/ is valid', () => {
  const loaded = loadCatalogue(path.resolve(__dirname, '../../examples/gantry.yaml'));
  expect(loaded.service('web')).toMatchObject({ repository: path.resolve(__dirname, '../../examples/web'), directory: '.' });
});

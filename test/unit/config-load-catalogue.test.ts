import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, findCatalogueFile, loadCatalogue } from '../../src/config/load-catalogue';
import { EnvironmentSchema } from '../../src/config/service-catalogue';

const CATALOGUE = `# Two services: one spelled out in full, one relying on defaults.
version: 1
services:
  web:
    source: ./web
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
    source: services/api
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
    expect(loaded.dir).toBe(workDir);
    expect(Object.keys(loaded.catalogue.services)).toEqual(['web', 'api']);
    const web = loaded.catalogue.services.web;
    expect(web.run).toEqual({ command: 'node dist/server.js', health: '/ready', startTimeout: 90_000 });
    expect(web.approval).toEqual({ approvers: ['alice', 'bob@example.com'], minApprovals: 2, timeout: 7_200_000 });
    expect(web.environments.staging).toEqual({ target: 'local', strategy: 'allAtOnce', ...PROGRESSIVE_DEFAULTS });
  });

  test('fills in the defaults of what a service leaves out', () => {
    const api = loadCatalogue(catalogueFile).catalogue.services.api;
    expect(api.run).toEqual({ command: './bin/api', health: '/healthz', startTimeout: 30_000 });
    expect(api.approval).toEqual({ approvers: [], minApprovals: 0, timeout: 86_400_000 });
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

  test('resolves a service with its source directory relative to the file', () => {
    const loaded = loadCatalogue(catalogueFile);
    const api = loaded.service('api');
    expect(api.name).toBe('api');
    expect(api.sourceDir).toBe(path.join(workDir, 'services', 'api'));
    expect(api.config.build).toBe('make');
    expect(loaded.service('web').sourceDir).toBe(path.join(workDir, 'web'));
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
  expect(loaded.service('web').sourceDir).toBe(path.resolve(__dirname, '../../examples/web'));
});

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { WORKER_ENV_VARS, WORKER_SECRET_ENV_VARS } from '../../src/worker/env-vars';

/**
 * Deployment files are checked against the code they deploy: docker-compose.yml (the
 * production shape), the Dockerfile it builds, and the CI examples. No Docker engine is
 * needed; these are structural checks that catch drift (a renamed variable, a moved
 * entry point, a search attribute added in code but not registered on the cluster).
 */

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | (string | { path: string; required?: boolean })[];
  depends_on?: string[] | Record<string, unknown>;
  volumes?: (string | { type: string; source?: string })[];
};

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;

function environment(service: Service): Map<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return new Map(env.map((entry) => [entry.split('=')[0], entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : '']));
  }
  return new Map(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

function dependsOn(service: Service): string[] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

describe('docker-compose.yml', () => {
  it('has the production services', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'gantry-worker', 'prometheus']),
    );
  });

  it('runs Temporal on PostgreSQL, with the UI pointed at it', () => {
    expect(services.postgresql.image).toBe('postgres:16');
    expect(services.postgresql.volumes?.some((v) => typeof v === 'string' && v.endsWith(':/var/lib/postgresql/data'))).toBe(true);

    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:/);
    const temporalEnv = environment(services.temporal);
    expect(temporalEnv.get('DB')).toBe('postgres12');
    expect(temporalEnv.get('POSTGRES_SEEDS')).toBe('postgresql');
    expect(dependsOn(services.temporal)).toContain('postgresql');

    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(environment(services['temporal-ui']).get('TEMPORAL_ADDRESS')).toBe('temporal:7233');
    expect(services.prometheus.image).toMatch(/^prom\/prometheus:/);
  });

  it('only depends on services and named volumes that exist', () => {
    const declaredVolumes = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries(services)) {
      for (const dep of dependsOn(service)) expect(`${name} → ${dep}: ${dep in services}`).toBe(`${name} → ${dep}: true`);
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source ?? '';
        const isNamed = /^[a-z0-9][a-z0-9_-]*$/i.test(source);
        if (isNamed) expect(declaredVolumes).toContain(source);
      }
    }
  });

  it('registers exactly the search attributes the code uses', () => {
    const registrar = Object.values(services).find((s) => Array.isArray(s.entrypoint) && s.entrypoint.join(' ').includes('search-attribute create'));
    expect(registrar).toBeDefined();
    const args = registrar!.entrypoint as string[];
    const valuesOf = (flag: string) => args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));
    expect(valuesOf('--name').sort()).toEqual(Object.keys(SEARCH_ATTRIBUTES).sort());
    // `temporal operator search-attribute create` takes one --type for all its --name flags.
    expect(valuesOf('--type')).toEqual([...new Set(Object.values(SEARCH_ATTRIBUTES))]);
    expect(dependsOn(services['gantry-worker'])).toContain(Object.entries(services).find(([, s]) => s === registrar)![0]);
  });

  describe('gantry-worker', () => {
    const worker = services['gantry-worker'];

    it('builds from the Dockerfile in this repository and runs `gantry worker`', () => {
      const build = typeof worker.build === 'string' ? { context: worker.build } : worker.build ?? {};
      expect(build.context).toBe('.');
      expect(existsSync(path.join(root, build.context ?? '.', build.dockerfile ?? 'Dockerfile'))).toBe(true);
      expect(worker.command).toEqual(['node', 'bin/gantry.js', 'worker']);
      expect(existsSync(path.join(root, 'bin', 'gantry.js'))).toBe(true);
    });

    /*
     * The rule for the worker's environment:
     * - every name it sets is one the worker reads (WORKER_ENV_VARS): no typos, no stale names;
     * - every name the worker reads is set, except OPTIONAL ones: secrets (which come from the
     *   env_file, never from this committed file) and settings whose mere presence changes
     *   the meaning (a TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE names a temporal.toml that
     *   must then exist; TEMPORAL_TLS on a plain-text cluster breaks the connection);
     * - a secret may appear only as an interpolation from the host (`${NAME}`), never with a
     *   literal value;
     * - the worker has an env_file through which the optional ones arrive.
     */
    const OPTIONAL = new Set<string>([...WORKER_SECRET_ENV_VARS, 'TEMPORAL_TLS', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE']);

    it('sets only variables the worker reads', () => {
      const stray = [...environment(worker).keys()].filter((name) => !(WORKER_ENV_VARS as readonly string[]).includes(name));
      expect(stray).toEqual([]);
    });

    it('sets every variable the worker reads, except the optional ones', () => {
      const missing = WORKER_ENV_VARS.filter((name) => !OPTIONAL.has(name) && !environment(worker).has(name));
      expect(missing).toEqual([]);
    });

    it('never holds a literal secret, and takes secrets from an env_file', () => {
      for (const secret of WORKER_SECRET_ENV_VARS) {
        const value = environment(worker).get(secret);
        if (value !== undefined) expect(value).toMatch(/^\$\{[A-Z0-9_]+(:?-)?\}$/);
      }
      const envFiles = [worker.env_file ?? []].flat().map((entry) => (typeof entry === 'string' ? entry : entry.path));
      expect(envFiles.length).toBeGreaterThan(0);
    });

    it('points at the Temporal service of this file', () => {
      expect(environment(worker).get('TEMPORAL_ADDRESS')).toBe('temporal:7233');
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.reduce<string[][]>((acc, line) => {
    if (/^FROM\s/i.test(line)) acc.push([]);
    acc[acc.length - 1]?.push(line);
    return acc;
  }, []);
  const finalStage = stages[stages.length - 1];

  it('is a multi-stage build on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:20-bookworm-slim\b/);
  });

  it('installs from the lock file, builds, and prunes the dev dependencies', () => {
    const runs = instructions.filter((line) => line.startsWith('RUN ')).join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b/);
    expect(runs).toMatch(/npm prune --omit=dev\b/);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const sources = instructions
      .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1, -1).filter((arg) => !arg.startsWith('--')));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(`${source} exists: ${existsSync(path.join(root, source))}`).toBe(`${source} exists: true`);
      expect(ignored).not.toContain(source);
    }
  });

  it('runs the worker as a non-root user', () => {
    const user = finalStage.filter((line) => line.startsWith('USER ')).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    const cmd = finalStage.filter((line) => line.startsWith('CMD ')).pop();
    expect(JSON.parse(cmd!.slice(4))).toEqual(['node', 'bin/gantry.js', 'worker']);
  });
});

describe('CI examples', () => {
  const EXIT_CODES = ['0', '1', '2', '3'];
  const CONNECTION_VARS = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY'];

  /** The shell text that starts the release, checked for the flags CI relies on. */
  function expectReleaseScript(script: string): void {
    expect(script).toMatch(/npx gantry release start\b/);
    const command = script.slice(script.indexOf('gantry release start')).split(/\n(?!\s)|\|\|/)[0];
    for (const flag of ['--service', '--version', '--commit', '--author', '--wait', '--json']) expect(command).toContain(flag);
    expect(command).toMatch(/> release\.json/);
    for (const code of EXIT_CODES) expect(script).toMatch(new RegExp(`^\\s*${code}\\)`, 'm'));
    expect(script).toMatch(/exit "\$code"/);
  }

  it('GitHub Actions: valid YAML, starts the release with --wait --json, connection from secrets', () => {
    const workflow = parse(read('examples/ci/github-actions.yml')) as {
      jobs: Record<string, { env?: Record<string, string>; steps: { run?: string }[] }>;
    };
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.run?.includes('gantry release start')));
    expect(job).toBeDefined();
    expectReleaseScript(job!.steps.find((s) => s.run?.includes('gantry release start'))!.run!);
    for (const name of CONNECTION_VARS) expect(job!.env?.[name]).toBe(`\${{ secrets.${name} }}`);
  });

  it('GitLab CI: valid YAML, starts the release with --wait --json', () => {
    const pipeline = parse(read('examples/ci/gitlab-ci.yml')) as Record<string, { script?: string[] }>;
    const job = Object.values(pipeline).find((j) => j && Array.isArray(j.script) && j.script.join('\n').includes('gantry release start'));
    expect(job).toBeDefined();
    expectReleaseScript(job!.script!.join('\n'));
  });

  it('uses only options that `gantry release start` has', async () => {
    const { buildProgram } = await import('../../src/cli/main');
    const start = buildProgram()
      .commands.find((c) => c.name() === 'release')!
      .commands.find((c) => c.name() === 'start')!;
    const known = new Set(start.options.map((o) => o.long));
    for (const file of ['examples/ci/github-actions.yml', 'examples/ci/gitlab-ci.yml']) {
      const text = read(file);
      const command = text.slice(text.indexOf('gantry release start')).split('> release.json')[0];
      const flags = command.match(/--[a-z][a-z-]*/g) ?? [];
      expect(flags.filter((flag) => !known.has(flag))).toEqual([]);
    }
  });
});

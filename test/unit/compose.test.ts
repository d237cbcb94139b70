import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { ENVCONFIG_ENV_PREFIX, ENVCONFIG_ENV_VARS, envconfigReads, isEnvconfigSecret } from '../support/envconfig-env-vars';
import { findEnvReads, type SourceEnvReads } from '../support/source-env-reads';

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
  volumes?: (string | { type: string; source?: string; target?: string })[];
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
     * The worker's environment is held to what the worker's code reads, found in its
     * source rather than in a list kept by hand: everything the modules `gantry worker`
     * runs (src/cli/commands/dev.ts: createLogger, loadConnectionSettings, runWorker)
     * import at run time, plus what @temporalio/envconfig reads from the environment
     * connection.ts hands it. So a stale or invented variable here fails, and so does a
     * setting this file's containers cannot do without.
     */
    const WORKER_ENTRIES = ['src/worker/logger.ts', 'src/worker/connection.ts', 'src/worker/run-worker.ts'];

    /** Reads whose key the scan cannot name, by file, each with why it is no worker setting. */
    const DYNAMIC_READS_EXPLAINED: Record<string, string> = {
      'src/activities/admission.ts':
        "a service's database URL, in the variable its catalogue names (GANTRY_DB_<SERVICE>_<ENV> by default): a per-service secret the platform sets, no worker setting",
      'src/activities/migrations.ts':
        "a service's database URL, in the variable its catalogue names (GANTRY_DB_<SERVICE>_<ENV> by default): a per-service secret the platform sets, no worker setting",
      'src/providers/source/run-git.ts':
        'git runs without GIT_DIR, GIT_WORK_TREE and the like: the worker removes them from the environment it gives git, it reads no setting from them',
    };

    /** What must be set for the worker to work in this file's containers, and why the default will not do. */
    const REQUIRED: Record<string, string> = {
      TEMPORAL_ADDRESS: "the default, localhost:7233, is the worker's own container",
      TEMPORAL_NAMESPACE: 'the worker must poll the namespace the search attributes are registered in',
      GANTRY_HOME: "the default, ./.gantry, is inside the container and lost with it; state belongs on the gantry-home volume",
      GANTRY_CATALOGUE: "the default, ./gantry.yaml, is not in the image; the platform's catalogue is mounted from the host",
    };

    let scan: SourceEnvReads;
    beforeAll(() => {
      scan = findEnvReads({ root, entries: WORKER_ENTRIES, within: 'src' });
    });
    const workerReads = (name: string): boolean =>
      scan.reads.some((read) => read.name === name) || (scan.packages.includes('@temporalio/envconfig') && envconfigReads(name));

    it('sets only variables the worker reads', () => {
      const stray = [...environment(worker).keys()].filter((name) => !workerReads(name));
      expect(stray).toEqual([]);
    });

    it('sets every variable the worker needs here, each to a value that fits this file', () => {
      for (const name of Object.keys(REQUIRED)) {
        expect(`${name} read by the worker: ${workerReads(name)}`).toBe(`${name} read by the worker: true`);
        expect(`${name} set (${REQUIRED[name]}): ${environment(worker).has(name)}`).toBe(`${name} set (${REQUIRED[name]}): true`);
      }
      const mountedVolumes = (worker.volumes ?? []).flatMap((volume) => {
        const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source ?? '', volume.target ?? ''];
        return source in (compose.volumes ?? {}) ? [target] : [];
      });
      expect(mountedVolumes).toContain(environment(worker).get('GANTRY_HOME'));
      const registrar = services['temporal-search-attributes'].entrypoint as string[];
      expect(environment(worker).get('TEMPORAL_NAMESPACE')).toBe(registrar[registrar.indexOf('--namespace') + 1]);
    });

    it('knows every environment read of the worker by name, or why it does not matter', () => {
      expect(scan.files).toEqual(expect.arrayContaining(WORKER_ENTRIES));
      expect([...new Set(scan.dynamic.map((read) => read.file))].sort()).toEqual(Object.keys(DYNAMIC_READS_EXPLAINED).sort());
    });

    it('never holds a literal secret, and takes secrets from an env_file', () => {
      for (const [name, value] of environment(worker)) {
        if (isEnvconfigSecret(name)) expect(`${name}=${value}`).toMatch(/^[A-Z0-9_]+=\$\{[A-Z0-9_]+(:?-)?\}$/);
      }
      const envFiles = [worker.env_file ?? []].flat().map((entry) => (typeof entry === 'string' ? entry : entry.path));
      expect(envFiles.length).toBeGreaterThan(0);
    });

    it('points at the Temporal service of this file', () => {
      expect(environment(worker).get('TEMPORAL_ADDRESS')).toBe('temporal:7233');
    });
  });
});

describe('@temporalio/envconfig', () => {
  // The compiled code the worker runs, read for the names it passes to `envProvider[…]`.
  const code = readFileSync(path.join(path.dirname(require.resolve('@temporalio/envconfig')), 'envconfig-toml.js'), 'utf8');

  it('reads exactly the variables test/support/envconfig-env-vars.ts lists', () => {
    const read = [...code.matchAll(/envProvider\['([A-Za-z0-9_]+)'\]/g)].map((match) => match[1]);
    expect([...new Set(read)].sort()).toEqual([...ENVCONFIG_ENV_VARS].sort());
    expect(code).toContain(`const PREFIX = '${ENVCONFIG_ENV_PREFIX}'`);
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

  it('has git in the worker image: releases build a commit the worker checks out', () => {
    expect(finalStage.filter((line) => line.startsWith('RUN ')).join('\n')).toMatch(/apt-get install .*\bgit\b/);
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

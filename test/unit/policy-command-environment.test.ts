import { commandEnvironment } from '../../src/policy/command-environment';
import { ServiceSchema } from '../../src/config/service-catalogue';

const WORKER = {
  PATH: '/usr/bin:/bin',
  HOME: '/var/lib/gantry',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TEMPORAL_API_KEY: 'secret',
  TEMPORAL_ADDRESS: 'temporal:7233',
  DATABASE_URL: 'postgres://u:p@db/prod',
  NPM_TOKEN: 'npm',
  UNSET: undefined,
};

describe('commandEnvironment', () => {
  test('the worked example: allow-list, named variables and the command\'s own, nothing else', () => {
    expect(commandEnvironment(WORKER, ['NPM_TOKEN'], { GANTRY_VERSION: '1.4.2' })).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/var/lib/gantry',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      NPM_TOKEN: 'npm',
      GANTRY_VERSION: '1.4.2',
    });
  });

  test("the worker's Temporal settings never pass, even when named", () => {
    const env = commandEnvironment(WORKER, ['TEMPORAL_API_KEY', 'TEMPORAL_ADDRESS']);
    expect(Object.keys(env).filter((name) => name.startsWith('TEMPORAL_'))).toEqual([]);
  });

  test('a named variable the worker does not have is simply absent', () => {
    expect(commandEnvironment(WORKER, ['UNSET', 'MISSING'])).not.toHaveProperty('MISSING');
  });

  test("what Gantry sets for the command wins over the worker's", () => {
    expect(commandEnvironment(WORKER, [], { PATH: '/opt/tool/bin' }).PATH).toBe('/opt/tool/bin');
  });
});

describe('passEnv in the catalogue', () => {
  const base = {
    repository: 'https://git.example.com/web.git',
    build: 'make',
    test: { unit: 'make test', lint: 'make lint' },
    artifact: { include: ['dist'] },
    run: { command: 'node server.js', health: '/healthz' },
    environments: { staging: {}, production: {} },
  };
  test('defaults to none', () => {
    expect(ServiceSchema.parse(base).passEnv).toEqual([]);
  });
  test('refuses a Temporal variable and a name that is not one, saying why', () => {
    const result = ServiceSchema.safeParse({ ...base, passEnv: ['TEMPORAL_API_KEY', 'NOT-A-NAME'] });
    expect(result.success).toBe(false);
    const messages = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      "passEnv.0: the worker's Temporal settings never reach a service's commands; remove it",
      'passEnv.1: an environment variable name: letters, digits and _',
    ]);
  });
});

import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { CatalogueSchema } from '../../src/config/service-catalogue';
import type { ServiceConfig } from '../../src/config/service-catalogue';
import { runProcess } from '../../src/providers/process/run-process';
import { EXAMPLE_WEB, buildExampleCopy } from './support';

/** The example catalogue and service, checked the way a release uses them: through their own commands. */
describe('examples/gantry.yaml and examples/web', () => {
  let web: ServiceConfig;
  let dir: string;

  beforeAll(async () => {
    const text = await readFile(path.join(EXAMPLE_WEB, '..', 'gantry.yaml'), 'utf8');
    web = CatalogueSchema.parse(parse(text)).services.web;
    dir = await buildExampleCopy('2.0.0');
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  const run = (command: string) => runProcess({ command, cwd: dir, timeoutMs: 30_000 });

  it('declares the web service as documented', () => {
    expect(web).toMatchObject({
      repository: './web',
      directory: '.',
      build: 'node build.js',
      test: { unit: 'node --test test/', integration: 'node --test integration/', lint: 'node lint.js' },
      artifact: { include: ['dist', 'package.json'] },
      run: { command: 'node dist/server.js', health: '/healthz' },
      smoke: 'node smoke.js',
      environments: { staging: { target: 'local', strategy: 'allAtOnce' }, production: { target: 'local', strategy: 'allAtOnce' } },
      approval: { approvers: ['alice', 'bob'], minApprovals: 1, timeout: 86_400_000 },
    });
  });

  it('builds deterministically from $GANTRY_VERSION', async () => {
    const versionFile = path.join(dir, 'dist', 'version.json');
    const first = await readFile(versionFile, 'utf8');
    expect(JSON.parse(first)).toEqual({ version: '2.0.0', behaviour: { delayMs: 0, errorPercent: 0 } });
    const again = await runProcess({ command: web.build, cwd: dir, env: { GANTRY_VERSION: '2.0.0' } });
    expect(again.exitCode).toBe(0);
    expect(await readFile(versionFile, 'utf8')).toBe(first);
  });

  it('passes its unit tests, integration tests and lint', async () => {
    for (const command of [web.test.unit, web.test.integration ?? '', web.test.lint]) {
      const result = await run(command);
      expect({ command, exitCode: result.exitCode, tail: result.tail }).toMatchObject({ command, exitCode: 0 });
    }
  });

  it('has a lint that fails on what it checks', async () => {
    await writeFile(path.join(dir, 'src', 'debug.js'), "console.log('left over');\n");
    try {
      const result = await run(web.test.lint);
      expect(result.exitCode).toBe(1);
      expect(result.tail).toContain('src/debug.js:1: console.log left in');
    } finally {
      await rm(path.join(dir, 'src', 'debug.js'));
    }
  });
});

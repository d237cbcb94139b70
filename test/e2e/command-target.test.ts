import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { instanceIdFor } from '../../src/policy/environment-restore';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** The scripts of examples/command-target, as the e2e workspace's copy of the examples holds them. */
const scripts = (verb: string) => `sh "$GANTRY_CATALOGUE_DIR/command-target/scripts/${verb}.sh"`;
const EXAMPLE_TARGET = { kind: 'command', deploy: scripts('deploy'), activate: scripts('activate'), stop: scripts('stop'), status: scripts('status'), timeout: '30s' };

/**
 * The example service as `shipped` (through the example's scripts in both environments)
 * and as `stranded` (whose deploy fails the way a platform refuses one), both without
 * approvals.
 */
function commandTargetCatalogue(text: string): string {
  const doc = YAML.parse(text);
  const web = doc.services.web;
  web.approval = { approvers: [], minApprovals: 0 };
  doc.services = {
    shipped: { ...web, environments: { staging: { target: EXAMPLE_TARGET }, production: { target: EXAMPLE_TARGET } } },
    stranded: {
      ...web,
      environments: { staging: { target: { ...EXAMPLE_TARGET, deploy: 'echo "applying web-$GANTRY_VERSION"; echo "error: quota exceeded in namespace staging" >&2; exit 1', retries: 1 } } },
    },
  };
  return YAML.stringify(doc);
}

let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('command-target', { editConfig: commandTargetCatalogue });
});
afterAll(async () => {
  if (!stack) return;
  // The example's instances run outside Gantry's process groups: stop them the way Gantry would.
  for (const service of ['shipped']) {
    for (const environment of ['staging', 'production']) {
      const active = path.join(stack.home, 'targets', service, environment, 'active.json');
      const pointer = await readFile(active, 'utf8').then(JSON.parse, () => undefined);
      if (pointer) await stopExampleInstance(service, environment, pointer.instanceId);
    }
  }
  await stack.stop();
});

async function stopExampleInstance(service: string, environment: string, instanceId: string): Promise<void> {
  const pid = Number(await readFile(path.join(stack.home, 'targets', service, environment, 'instances', instanceId, 'process', 'pid'), 'utf8').catch(() => '0'));
  if (pid > 1) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

describe('a release through a command target: the example scripts deploy, check, activate and stop', () => {
  test('deploys to staging and production through the scripts; the older version is stopped by them', async () => {
    const versions = ['7.0.0', '7.1.0'];
    const docs = [];
    for (const version of versions) {
      const result = await stack.gantry(['release', 'start', '--service', 'shipped', '--version', version, '--commit', stack.commit, '--author', 'alice', '--wait', '--json']);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const doc = JSON.parse(result.stdout);
      expect(doc).toMatchObject({ outcome: 'succeeded' });
      docs.push(doc);
    }
    const [first, second] = docs;
    // Production serves the new version from the process the deploy script started.
    const served = await (await fetch(second.status.environments.production.url, { headers: { connection: 'close' } })).json();
    expect(served).toMatchObject({ version: '7.1.0' });

    const targetDir = path.join(stack.home, 'targets', 'shipped', 'production');
    const newId = instanceIdFor('7.1.0', second.status.artifact.digest);
    const oldId = instanceIdFor('7.0.0', first.status.artifact.digest);
    // activate.sh wrote the platform's own idea of what is current; stop.sh stopped the old one.
    expect((await readFile(path.join(targetDir, 'workspace', 'current'), 'utf8')).trim()).toBe(newId);
    const oldRecord = JSON.parse(await readFile(path.join(targetDir, 'instances', oldId, 'instance.json'), 'utf8'));
    expect(oldRecord).toMatchObject({ state: 'stopped', output: { stop: [expect.stringMatching(/^stopped 7\.0\.0-/)] } });
    const newRecord = JSON.parse(await readFile(path.join(targetDir, 'instances', newId, 'instance.json'), 'utf8'));
    expect(newRecord).toMatchObject({ state: 'running', output: { deploy: expect.arrayContaining([expect.stringMatching(/^unpacked shipped 7\.1\.0 \(sha256:/)]) } });
    await expect(fetch(first.status.environments.production.url)).rejects.toThrow();
  });

  test('a deploy that fails fails the release, with the output tail of the command in its reason', async () => {
    const result = await stack.gantry(['release', 'start', '--service', 'stranded', '--version', '1.0.0', '--commit', stack.commit, '--author', 'alice', '--wait', '--json']);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc.outcome).toBe('failed');
    expect(doc.status.reason).toContain('deploy of stranded@1.0.0 in staging exited with code 1 (after 2 attempts)');
    expect(doc.status.reason).toContain('error: quota exceeded in namespace staging');
  });
});

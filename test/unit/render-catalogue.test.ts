import { ServiceSchema } from '../../src/config/service-catalogue';
import { renderCatalogue } from '../../src/cli/render-catalogue';
import type { CatalogueReport } from '../../src/shared/catalogue-report';

const definition = ServiceSchema.parse({
  repository: 'https://git.example.com/web.git',
  build: 'make',
  test: { unit: 'make test', lint: 'make lint' },
  artifact: { include: ['dist'] },
  run: { command: 'node server.js' },
  environments: { staging: {}, production: { strategy: 'canary' } },
  approval: { approvers: ['alice', 'bob'], minApprovals: 2, timeout: '24h' },
  notifications: {
    webhooks: [
      { url: 'https://hooks.example.com/gantry/T0001', secretEnv: 'HOOK_SECRET' },
      { urlEnv: 'SLACK_URL', format: 'slack', events: ['failed', 'rollback'] },
    ],
  },
});

const report: CatalogueReport = {
  worker: '123@worker-1',
  location: '/etc/gantry/gantry.yaml',
  inForce: {
    digest: `sha256:${'cd'.repeat(32)}`,
    loadedAt: '2026-12-01T09:00:00.000Z',
    services: { web: { repository: 'https://git.example.com/web.git', directory: 'svc/web', definition } },
  },
};

test('shows the digest, where it came from, and each service rules', () => {
  const text = renderCatalogue(report);
  expect(text).toContain(`Catalogue in force: sha256:${'cd'.repeat(32)}`);
  expect(text).toContain('  from /etc/gantry/gantry.yaml, loaded 2026-12-01T09:00:00.000Z, answered by worker 123@worker-1');
  expect(text).toContain('  repository   https://git.example.com/web.git (folder svc/web)');
  expect(text).toContain('  production   canary on local');
  expect(text).toContain('  approval     2 of alice, bob within 24 h');
  expect(text).toContain('  webhook      json to https://hooks.example.com on approval, hold, emergency, rollback, succeeded, failed, signed with $HOOK_SECRET');
  expect(text).toContain('  webhook      slack to the URL in $SLACK_URL on failed, rollback, unsigned');
  expect(text).not.toContain('T0001');
  expect(text).not.toContain('refused');
});

test('a refused change is shown under the catalogue that stays in force', () => {
  const text = renderCatalogue({ ...report, lastError: { at: '2026-12-01T10:00:00.000Z', message: 'gantry.yaml:7:5 services.web.build: must be a shell command' } });
  expect(text).toMatch(/The last change was refused \(2026-12-01T10:00:00\.000Z\); the catalogue above stays in force:\n {2}gantry\.yaml:7:5 services\.web\.build/);
});

test('with no catalogue ever loaded, it says every release is refused', () => {
  const text = renderCatalogue({ worker: '1@w', location: '/etc/gantry/gantry.yaml', lastError: { at: '2026-12-01T10:00:00.000Z', message: 'file not found' } });
  expect(text).toContain('No catalogue is in force on worker 1@w: /etc/gantry/gantry.yaml never loaded, so every release is refused.');
  expect(text).not.toContain('stays in force');
});

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseCatalogue } from '../../src/config/load-catalogue';
import { NOTIFICATION_EVENTS } from '../../src/shared/notifications';

const catalogue = (notifications: string) => `version: 1
services:
  web:
    repository: ./web
    build: npm run build
    test: { unit: npm test, lint: npm run lint }
    artifact: { include: [dist] }
    run: { command: node dist/server.js }
    notifications:
${notifications}
`;

const ORIGIN = { file: 'gantry.yaml', repositoryBase: '/srv' };

function issuesOf(text: string): { path: string; line?: number; message: string }[] {
  try {
    parseCatalogue(text, ORIGIN);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(({ path, line, message }) => ({ path, line, message }));
    throw err;
  }
  throw new Error('expected the catalogue to be refused');
}

describe('notifications in the catalogue', () => {
  test('a webhook takes a URL, a format, the events it wants (all by default) and the variable its secret is in', () => {
    const loaded = parseCatalogue(
      catalogue(`      webhooks:
        - url: https://hooks.example.com/gantry
          secretEnv: GANTRY_HOOK_SECRET
        - urlEnv: SLACK_WEBHOOK_URL
          format: slack
          events: [approval, failed, rollback]`),
      ORIGIN,
    );
    expect(loaded.catalogue.services.web.notifications?.webhooks).toEqual([
      { url: 'https://hooks.example.com/gantry', secretEnv: 'GANTRY_HOOK_SECRET', format: 'json', events: [...NOTIFICATION_EVENTS] },
      { urlEnv: 'SLACK_WEBHOOK_URL', format: 'slack', events: ['approval', 'failed', 'rollback'] },
    ]);
  });

  test.each([
    ['a URL that is not http(s)', '        - url: ftp://example.com/hook', 'services.web.notifications.webhooks[0].url', /must be an http:\/\/ or https:\/\/ URL, not ftp:/],
    ['a URL that is not a URL', '        - url: hooks.example.com', 'services.web.notifications.webhooks[0].url', /must be an http:\/\/ or https:\/\/ URL/],
    ['a password in the URL', '        - url: https://bob:hunter2@example.com/hook', 'services.web.notifications.webhooks[0].url', /must not carry a user or password; .* urlEnv/],
    ['an unknown event', '        - url: https://example.com/hook\n          events: [approval, deployed]', 'services.web.notifications.webhooks[0].events[1]', /unknown events "deployed"; expected one of "approval", "hold"/],
    ['no events at all', '        - url: https://example.com/hook\n          events: []', 'services.web.notifications.webhooks[0].events', /list at least one event, or leave events out/],
    ['an unknown format', '        - url: https://example.com/hook\n          format: teams', 'services.web.notifications.webhooks[0].format', /unknown format "teams"/],
    ['a secret variable that is no name', '        - url: https://example.com/hook\n          secretEnv: 1-SECRET', 'services.web.notifications.webhooks[0].secretEnv', /an environment variable name/],
    ["the worker's Temporal key as a secret", '        - url: https://example.com/hook\n          secretEnv: TEMPORAL_API_KEY', 'services.web.notifications.webhooks[0].secretEnv', /Temporal settings are never sent/],
    ['neither url nor urlEnv', '        - format: slack', 'services.web.notifications.webhooks[0].url', /either url or urlEnv/],
    ['both url and urlEnv', '        - url: https://example.com/hook\n          urlEnv: HOOK_URL', 'services.web.notifications.webhooks[0].url', /either url or urlEnv/],
    ['a misspelt key', '        - url: https://example.com/hook\n          secret: s3cr3t', 'services.web.notifications.webhooks[0].secret', /unknown key "secret"/],
  ])('%s is refused, naming the field', (_what, webhook, field, message) => {
    const issues = issuesOf(catalogue(`      webhooks:\n${webhook}`));
    expect(issues).toEqual([expect.objectContaining({ path: field, message: expect.stringMatching(message) })]);
  });

  test("a webhook's secret the service's commands would see (passEnv) is refused", () => {
    const text = catalogue('      webhooks:\n        - url: https://example.com/hook\n          secretEnv: HOOK_SECRET').replace('    notifications:', '    passEnv: [HOOK_SECRET]\n    notifications:');
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({ path: 'services.web.notifications.webhooks[0].secretEnv', message: expect.stringMatching(/HOOK_SECRET is also in passEnv: the service's build, tests and smoke test would see it/) }),
    ]);
  });

  test('gantry config validate exits 2 naming the field and its line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-notify-config-'));
    try {
      const file = path.join(dir, 'gantry.yaml');
      fs.writeFileSync(file, catalogue('      webhooks:\n        - url: https://example.com/hook\n          events: [approval, deploy]'));
      const run = spawnSync(process.execPath, [path.join(__dirname, '../../bin/gantry.js'), 'config', 'validate', file], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr + run.stdout).toContain('gantry.yaml:12:30 services.web.notifications.webhooks[0].events[1]: unknown events "deploy"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { environmentLine, renderEnvironment } from '../../src/cli/render-environment';
import type { EnvironmentRecord } from '../../src/shared/environment';

const record: EnvironmentRecord = {
  service: 'web',
  environment: 'production-eu',
  current: { version: '2.0.0', digest: 'sha256:aa', url: 'http://127.0.0.1:8080', since: '2026-12-01T10:00:00.000Z', release: 'release/web/2.0.0' },
  previous: { version: '1.9.0', digest: 'sha256:bb', url: 'http://127.0.0.1:8081', since: '2026-11-30T10:00:00.000Z', release: 'release/web/1.9.0' },
  holder: { workflowId: 'release/web/2.1.0', runId: 'r1' },
  queue: [{ workflowId: 'release/web/2.2.0', runId: 'r2' }],
  history: [
    { at: '2026-11-30T10:00:00.000Z', kind: 'deployed', version: '1.9.0', release: 'release/web/1.9.0' },
    { at: '2026-12-01T10:00:00.000Z', kind: 'deployed', version: '2.0.0', release: 'release/web/2.0.0' },
  ],
};

test('one line: what runs, since when, by which release, who deploys and who waits', () => {
  expect(environmentLine(record)).toBe(
    'web/production-eu            2.0.0 since 2026-12-01T10:00:00.000Z (release/web/2.0.0); deploying: release/web/2.1.0, waiting: release/web/2.2.0',
  );
  expect(environmentLine({ ...record, current: undefined, holder: undefined, queue: [] })).toBe('web/production-eu            nothing deployed');
});

test('the host an environment runs on, once a release has placed it', () => {
  expect(environmentLine({ ...record, host: 'web-2', holder: undefined, queue: [] })).toBe(
    'web/production-eu            2.0.0 since 2026-12-01T10:00:00.000Z (release/web/2.0.0) on web-2',
  );
  expect(renderEnvironment({ ...record, host: 'web-2' })).toContain('  host     web-2\n');
  expect(renderEnvironment(record)).toContain('  host     not placed yet (the first release there places it on the worker host that takes it)');
});

test('the whole record, newest deploy first', () => {
  const text = renderEnvironment(record);
  expect(text).toContain('  runs     2.0.0 (sha256:aa) at http://127.0.0.1:8080, since 2026-12-01T10:00:00.000Z, by release/web/2.0.0');
  expect(text).toContain('  before   1.9.0 (sha256:bb), from 2026-11-30T10:00:00.000Z, by release/web/1.9.0');
  expect(text).toContain('  turn     release/web/2.1.0 is deploying; waiting: release/web/2.2.0');
  expect(text.indexOf('deployed 2.0.0')).toBeLessThan(text.indexOf('deployed 1.9.0'));
});

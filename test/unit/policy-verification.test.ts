import { verificationProblems } from '../../src/policy/verification';
import type { EnvironmentRecord } from '../../src/shared/environment';

const record = (version: string | undefined): EnvironmentRecord => ({
  service: 'web',
  environment: 'staging',
  queue: [],
  history: [],
  ...(version ? { current: { version, digest: `sha256:${'ab'.repeat(32)}`, url: 'http://127.0.0.1:1', since: '2026-12-01T10:00:00.000Z', release: `release/web/${version}` } } : {}),
});

test('a verification holds while the environment still runs the version, whatever its record says', () => {
  expect(verificationProblems('1.4.2', [{ environment: 'staging', running: '1.4.2', record: null }])).toEqual([]);
});

test('a newer version deployed meanwhile is named, with its release and time, and what to do', () => {
  expect(verificationProblems('1.4.2', [{ environment: 'staging', running: '1.4.3', record: record('1.4.3') }])).toEqual([
    'staging now runs 1.4.3 (deployed by release/web/1.4.3 at 2026-12-01T10:00:00.000Z): the verification of 1.4.2 there no longer holds; release 1.4.2 again (or the newer version) to ship it',
  ]);
});

test('without a record that agrees with the runtime, the version is named alone; with nothing running, that is said', () => {
  expect(verificationProblems('1.4.2', [{ environment: 'staging', running: '1.4.3', record: null }])[0]).toMatch(/^staging now runs 1\.4\.3: the verification/);
  expect(verificationProblems('1.4.2', [{ environment: 'staging', running: '1.4.3', record: record('1.4.1') }])[0]).toMatch(/^staging now runs 1\.4\.3: the verification/);
  expect(verificationProblems('1.4.2', [{ environment: 'staging', record: record(undefined) }])[0]).toMatch(/^staging now runs nothing: the verification/);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { checkReleaseRequest } from '../../src/policy/release-request';

/**
 * Each CI example computes the version it releases with examples/ci/release-version.sh,
 * from its own CI variables. Run that computation with sample values of each CI, and put
 * what it prints through the real `--version` check: a push to the default branch must
 * release, not be refused (a bare commit SHA, the old fallback, is not a version).
 */
const REPO = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO, 'examples', 'ci', 'release-version.sh');
const SHA = '0123456789abcdef0123456789abcdef01234567';

/** The service's checkout: the script reads the base version from its package.json. */
const checkout = mkdtempSync(path.join(os.tmpdir(), 'gantry-ci-version-'));
writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ name: 'web', version: '1.4.2' }));

function releaseVersion(env: Record<string, string>): string {
  return execFileSync('sh', [SCRIPT], { cwd: checkout, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' }).trim();
}

function versionProblems(version: string) {
  return checkReleaseRequest({ service: 'web', version, commit: SHA, author: 'ci-bot' }).filter((p) => p.field === 'version');
}

/** A GitHub Actions `${{ … }}` value of the release job, for a run with these contexts (the expressions the example uses). */
function github(expression: string, run: { refType: 'tag' | 'branch'; refName: string; runNumber: number }): string {
  const values: Record<string, string> = {
    "${{ github.ref_type == 'tag' && github.ref_name || '' }}": run.refType === 'tag' ? run.refName : '',
    '${{ github.ref_name }}': run.refName,
    '${{ github.run_number }}': String(run.runNumber),
    '${{ github.sha }}': SHA,
  };
  if (!(expression in values)) throw new Error(`the test does not know the GitHub expression ${expression}: add it`);
  return values[expression]!;
}

function releaseEnvOf(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('RELEASE_')));
}

describe('GitHub Actions example', () => {
  const workflow = parse(readFileSync(path.join(REPO, 'examples/ci/github-actions.yml'), 'utf8')) as {
    jobs: Record<string, { env?: Record<string, string>; steps: { run?: string }[] }>;
  };
  const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.run?.includes('gantry release start')))!;
  const run = job.steps.find((s) => s.run?.includes('gantry release start'))!.run!;
  const env = (ci: Parameters<typeof github>[1]) => Object.fromEntries(Object.entries(releaseEnvOf(job.env ?? {})).map(([name, value]) => [name, github(value, ci)]));

  test('computes the version with the shipped script and releases it', () => {
    expect(run).toContain('RELEASE_VERSION=$(sh ci/release-version.sh)');
    expect(run).toContain('--version "$RELEASE_VERSION"');
  });

  test.each([
    ['a tag push releases the tag', { refType: 'tag' as const, refName: 'v1.4.2', runNumber: 7 }, 'v1.4.2'],
    ['a push to main releases a pre-release of the next run', { refType: 'branch' as const, refName: 'main', runNumber: 42 }, '1.4.2-main.42+0123456789ab'],
    ['a branch with slashes and underscores still gives a valid version', { refType: 'branch' as const, refName: 'release/Q4_hotfix', runNumber: 3 }, '1.4.2-release-Q4-hotfix.3+0123456789ab'],
  ])('%s', (_name, ci, expected) => {
    const version = releaseVersion(env(ci));
    expect(version).toBe(expected);
    expect(versionProblems(version)).toEqual([]);
  });
});

describe('GitLab CI example', () => {
  const pipeline = parse(readFileSync(path.join(REPO, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, { variables?: Record<string, string>; script?: string[] }>;
  const job = Object.values(pipeline).find((j) => j && Array.isArray(j.script) && j.script.join('\n').includes('gantry release start'))!;
  const script = job.script!.join('\n');
  /** GitLab expands `$NAME` in job variables from the predefined ones. */
  const env = (predefined: Record<string, string>) =>
    Object.fromEntries(Object.entries(releaseEnvOf(job.variables ?? {})).map(([name, value]) => [name, value.replace(/^\$\{?([A-Z_]+)\}?$/, (_m, v: string) => predefined[v] ?? '')]));

  test('computes the version with the shipped script and releases it', () => {
    expect(script).toContain('version=$(sh ci/release-version.sh)');
    expect(script).toContain('--version "$version"');
  });

  test.each([
    ['a tag pipeline releases the tag', { CI_COMMIT_TAG: '2.0.0-rc.1', CI_PIPELINE_IID: '9', CI_COMMIT_SHA: SHA }, '2.0.0-rc.1'],
    ['a default-branch pipeline releases a pre-release of the pipeline', { CI_COMMIT_BRANCH: 'main', CI_PIPELINE_IID: '118', CI_COMMIT_SHA: SHA }, '1.4.2-main.118+0123456789ab'],
  ])('%s', (_name, predefined, expected) => {
    const version = releaseVersion(env(predefined));
    expect(version).toBe(expected);
    expect(versionProblems(version)).toEqual([]);
  });
});

test('the old fallback, a bare commit SHA, is refused by --version: why the script exists', () => {
  expect(versionProblems(SHA)).toEqual([expect.objectContaining({ message: expect.stringMatching(/is not a semantic version/) })]);
});

import { catalogueSourceFromEnv } from '../../src/providers/catalogue/catalogue-settings';

const CWD = '/srv/gantry';
const fromEnv = (env: Record<string, string>) => catalogueSourceFromEnv(env, CWD);

describe('a catalogue file', () => {
  test('is ./gantry.yaml in the working directory, polled every 10s, when nothing is set', () => {
    expect(fromEnv({})).toEqual({ kind: 'file', file: '/srv/gantry/gantry.yaml', pollMs: 10_000 });
  });

  test('is GANTRY_CATALOGUE, resolved against the working directory', () => {
    expect(fromEnv({ GANTRY_CATALOGUE: 'platform/gantry.yaml' })).toEqual({ kind: 'file', file: '/srv/gantry/platform/gantry.yaml', pollMs: 10_000 });
    expect(fromEnv({ GANTRY_CATALOGUE: '/etc/gantry/catalogue.yaml' })).toMatchObject({ file: '/etc/gantry/catalogue.yaml' });
  });

  test('treats empty variables as unset', () => {
    expect(fromEnv({ GANTRY_CATALOGUE: '', GANTRY_CATALOGUE_REPOSITORY: ' ', GANTRY_CATALOGUE_POLL: '' })).toEqual({
      kind: 'file',
      file: '/srv/gantry/gantry.yaml',
      pollMs: 10_000,
    });
  });
});

describe('a catalogue kept in git', () => {
  test('reads gantry.yaml on main by default', () => {
    expect(fromEnv({ GANTRY_CATALOGUE_REPOSITORY: 'https://git.example.com/platform/catalogue.git' })).toEqual({
      kind: 'git',
      repository: 'https://git.example.com/platform/catalogue.git',
      ref: 'main',
      path: 'gantry.yaml',
      pollMs: 10_000,
    });
  });

  test('takes the ref, the path and the poll interval from the environment', () => {
    expect(
      fromEnv({
        GANTRY_CATALOGUE_REPOSITORY: 'git@git.example.com:platform/catalogue.git',
        GANTRY_CATALOGUE_REF: 'release/2026-q4',
        GANTRY_CATALOGUE_PATH: './teams//shop/gantry.yaml',
        GANTRY_CATALOGUE_POLL: '1m30s',
      }),
    ).toEqual({
      kind: 'git',
      repository: 'git@git.example.com:platform/catalogue.git',
      ref: 'release/2026-q4',
      path: 'teams/shop/gantry.yaml',
      pollMs: 90_000,
    });
  });

  test('resolves a local repository path against the working directory and keeps an absolute one', () => {
    expect(fromEnv({ GANTRY_CATALOGUE_REPOSITORY: '../catalogue' })).toMatchObject({ repository: '/srv/catalogue' });
    expect(fromEnv({ GANTRY_CATALOGUE_REPOSITORY: '/srv/git/catalogue.git' })).toMatchObject({ repository: '/srv/git/catalogue.git' });
    expect(fromEnv({ GANTRY_CATALOGUE_REPOSITORY: 'file:///srv/git/catalogue.git' })).toMatchObject({ repository: 'file:///srv/git/catalogue.git' });
  });
});

describe('refuses, naming the variable and the fix', () => {
  test.each([
    [
      'a file and a repository at once',
      { GANTRY_CATALOGUE: 'gantry.yaml', GANTRY_CATALOGUE_REPOSITORY: 'https://git.example.com/platform.git' },
      'GANTRY_CATALOGUE and GANTRY_CATALOGUE_REPOSITORY are both set; the catalogue is either a file or kept in git: unset one of them',
    ],
    [
      'a ref without a repository',
      { GANTRY_CATALOGUE_REF: 'main' },
      "GANTRY_CATALOGUE_REF is set but GANTRY_CATALOGUE_REPOSITORY is not; set GANTRY_CATALOGUE_REPOSITORY to the catalogue's git repository, or unset GANTRY_CATALOGUE_REF",
    ],
    [
      'a path without a repository',
      { GANTRY_CATALOGUE: 'gantry.yaml', GANTRY_CATALOGUE_PATH: 'gantry.yaml' },
      /^GANTRY_CATALOGUE_PATH is set but GANTRY_CATALOGUE_REPOSITORY is not/,
    ],
    [
      'a repository git would read as an option',
      { GANTRY_CATALOGUE_REPOSITORY: '--upload-pack=evil' },
      /^GANTRY_CATALOGUE_REPOSITORY="--upload-pack=evil": must not start with - \(git would read it as an option\)/,
    ],
    [
      "git's remote-helper form",
      { GANTRY_CATALOGUE_REPOSITORY: 'ext::sh -c evil' },
      /^GANTRY_CATALOGUE_REPOSITORY="ext::sh -c evil": the <transport>::<address> form is not accepted/,
    ],
    ...['-f', 'main..other', 'main^', 'HEAD@{1}', 'a b', 'topic/', 'x.lock', '@'].map((ref) => [
      `the ref ${ref}`,
      { GANTRY_CATALOGUE_REPOSITORY: '/srv/git/catalogue.git', GANTRY_CATALOGUE_REF: ref },
      `GANTRY_CATALOGUE_REF=${JSON.stringify(ref)} is not a branch, tag or commit name; write e.g. main (the default), v1.2.0 or a commit SHA`,
    ]),
    ...['/etc/gantry.yaml', '../gantry.yaml', 'a/../../gantry.yaml', './'].map((file) => [
      `the path ${file}`,
      { GANTRY_CATALOGUE_REPOSITORY: '/srv/git/catalogue.git', GANTRY_CATALOGUE_PATH: file },
      `GANTRY_CATALOGUE_PATH=${JSON.stringify(file)} must be a file inside the catalogue repository (no leading / and no ..), e.g. gantry.yaml (the default) or platform/gantry.yaml`,
    ]),
    ...['10', 'soon', '-5s', '500ms'].map((poll) => [
      `the poll interval ${poll}`,
      { GANTRY_CATALOGUE_POLL: poll },
      `GANTRY_CATALOGUE_POLL=${JSON.stringify(poll)} is not a duration of at least 1s; write a number followed by s, m or h, e.g. 10s (the default) or 1m`,
    ]),
  ] as [string, Record<string, string>, string | RegExp][])('%s', (_name, env, message) => {
    expect(() => fromEnv(env)).toThrow(message);
  });
});

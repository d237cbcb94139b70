import { renderArtifact } from '../../src/cli/render-artifact';
import { gitUri, provenanceStatement, ProvenanceInputError, withoutCredentials } from '../../src/policy/provenance';
import type { BuildFacts } from '../../src/shared/provenance-types';
import type { ArtifactRef } from '../../src/shared/release';

const HEX = 'ab'.repeat(32);
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

const artifact: ArtifactRef = { service: 'web', version: '2.0.0', digest: `sha256:${HEX}`, sizeBytes: 12_345 };

const facts: BuildFacts = {
  service: 'web',
  version: '2.0.0',
  author: 'alice',
  source: { repository: 'https://github.com/acme/web.git', directory: 'services/web', requested: 'v2.0.0', commit: COMMIT, committedAt: '2026-12-01T09:00:00Z' },
  catalogue: { digest: `sha256:${'cd'.repeat(32)}`, source: 'https://github.com/acme/platform.git#main:gantry.yaml', revision: 'fe'.repeat(20) },
  commands: [
    { label: 'build', command: 'npm run build' },
    { label: 'unit', command: 'npm test' },
  ],
  invocation: { workflowId: 'release/web/2.0.0', runId: 'run-1', namespace: 'default' },
  startedOn: '2026-12-01T10:00:00.000Z',
  finishedOn: '2026-12-01T10:03:00.000Z',
};

describe('provenanceStatement', () => {
  const statement = provenanceStatement(artifact, facts);

  test('is an in-toto v1 statement about the packed artifact, its digest without the prefix', () => {
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.subject).toEqual([{ name: 'web-2.0.0.tar.gz', digest: { sha256: HEX } }]);
  });

  test('the build definition holds the starter’s parameters, the platform’s, and the resolved source', () => {
    const build = statement.predicate.buildDefinition;
    expect(build.buildType).toBe('urn:gantry:release-build:v1');
    expect(build.externalParameters).toEqual({
      service: 'web',
      version: '2.0.0',
      source: { repository: 'https://github.com/acme/web.git', directory: 'services/web', ref: 'v2.0.0' },
      author: 'alice',
    });
    expect(build.internalParameters).toEqual({
      catalogue: { digest: facts.catalogue.digest, source: facts.catalogue.source, revision: facts.catalogue.revision },
      commands: facts.commands,
    });
    expect(build.resolvedDependencies).toEqual([
      { uri: 'git+https://github.com/acme/web.git', digest: { gitCommit: COMMIT }, annotations: { committedAt: '2026-12-01T09:00:00Z' } },
    ]);
  });

  test('the run details name the builder and the workflow run', () => {
    expect(statement.predicate.runDetails).toEqual({
      builder: { id: 'urn:gantry:worker' },
      metadata: { invocationId: 'default/release/web/2.0.0/run-1', startedOn: '2026-12-01T10:00:00.000Z', finishedOn: '2026-12-01T10:03:00.000Z' },
    });
  });

  test('holds only the facts: same facts, same statement, and JSON round trips unchanged', () => {
    expect(provenanceStatement(artifact, facts)).toEqual(statement);
    expect(JSON.parse(JSON.stringify(statement))).toEqual(statement);
    const keys = JSON.stringify(statement).match(/"[A-Za-z0-9_]+":/g)?.map((k) => k.slice(1, -2)) ?? [];
    expect(new Set(keys)).toEqual(
      new Set([
        '_type', 'subject', 'name', 'digest', 'sha256', 'predicateType', 'predicate', 'buildDefinition', 'buildType',
        'externalParameters', 'service', 'version', 'source', 'repository', 'directory', 'ref', 'author',
        'internalParameters', 'catalogue', 'revision', 'commands', 'label', 'command', 'resolvedDependencies', 'uri',
        'gitCommit', 'annotations', 'committedAt', 'runDetails', 'builder', 'id', 'metadata', 'invocationId', 'startedOn', 'finishedOn',
      ]),
    );
  });

  test('a catalogue outside git has no revision key at all', () => {
    const { revision: _revision, ...catalogue } = facts.catalogue;
    const s = provenanceStatement(artifact, { ...facts, catalogue: { ...catalogue, source: '/etc/gantry/gantry.yaml' } });
    expect(s.predicate.buildDefinition.internalParameters.catalogue).toEqual({ digest: facts.catalogue.digest, source: '/etc/gantry/gantry.yaml' });
    expect('revision' in s.predicate.buildDefinition.internalParameters.catalogue).toBe(false);
  });

  test('a plain-path repository becomes a git+file:// URI', () => {
    const s = provenanceStatement(artifact, { ...facts, source: { ...facts.source, repository: '/srv/repos/web' } });
    expect(s.predicate.buildDefinition.resolvedDependencies[0].uri).toBe('git+file:///srv/repos/web');
    expect(s.predicate.buildDefinition.externalParameters.source.repository).toBe('/srv/repos/web');
  });

  test('credentials in a repository URL are left out', () => {
    const s = provenanceStatement(artifact, {
      ...facts,
      source: { ...facts.source, repository: 'https://x-access-token:ghp_secret@github.com/acme/web.git' },
      catalogue: { ...facts.catalogue, source: 'https://ghp_other@github.com/acme/platform.git#main:gantry.yaml' },
    });
    expect(JSON.stringify(s)).not.toMatch(/ghp_|x-access-token/);
    expect(s.predicate.buildDefinition.resolvedDependencies[0].uri).toBe('git+https://github.com/acme/web.git');
    expect(s.predicate.buildDefinition.internalParameters.catalogue.source).toBe('https://github.com/acme/platform.git#main:gantry.yaml');
  });

  test('refuses facts that do not describe the artifact, a malformed digest, or a short commit', () => {
    expect(() => provenanceStatement(artifact, { ...facts, version: '2.0.1' })).toThrow(ProvenanceInputError);
    expect(() => provenanceStatement(artifact, { ...facts, version: '2.0.1' })).toThrow('describe web 2.0.1, not the artifact web 2.0.0');
    expect(() => provenanceStatement({ ...artifact, digest: HEX }, facts)).toThrow('expected sha256:<64 hex digits>');
    expect(() => provenanceStatement(artifact, { ...facts, source: { ...facts.source, commit: '0123456' } })).toThrow('needs the full commit SHA');
  });
});

describe('gitUri', () => {
  test.each([
    ['https://github.com/acme/web.git', 'git+https://github.com/acme/web.git'],
    ['ssh://git@github.com/acme/web.git', 'git+ssh://git@github.com/acme/web.git'],
    ['git@github.com:acme/web.git', 'git+ssh://git@github.com/acme/web.git'],
    ['file:///srv/repos/web', 'git+file:///srv/repos/web'],
    ['git+https://example.com/web', 'git+https://example.com/web'],
    ['/srv/repos/web', 'git+file:///srv/repos/web'],
    ['/srv/my repos/web#1', 'git+file:///srv/my%20repos/web%231'],
    ['C:\\repos\\web', 'git+file:///C:/repos/web'],
  ])('%s → %s', (repository, uri) => {
    expect(gitUri(repository)).toBe(uri);
  });
});

describe('withoutCredentials', () => {
  test.each([
    ['https://user:token@example.com/web.git', 'https://example.com/web.git'],
    ['https://token@example.com/web.git', 'https://example.com/web.git'],
    ['ssh://git:pw@example.com/web.git', 'ssh://git@example.com/web.git'],
    ['ssh://git@example.com/web.git', 'ssh://git@example.com/web.git'],
    ['git@example.com:acme/web.git', 'git@example.com:acme/web.git'],
    ['/srv/repos/web', '/srv/repos/web'],
  ])('%s → %s', (location, expected) => {
    expect(withoutCredentials(location)).toBe(expected);
  });
});

describe('renderArtifact', () => {
  test('shows the artifact, its source, catalogue, commands and run', () => {
    expect(renderArtifact(artifact, provenanceStatement(artifact, facts))).toBe(
      [
        'Artifact web 2.0.0',
        `  digest      sha256:${HEX}`,
        '  size        12345 bytes',
        '  repository  https://github.com/acme/web.git (directory services/web)',
        `  commit      ${COMMIT}`,
        '  committed   2026-12-01T09:00:00Z',
        '  requested   v2.0.0',
        '  author      alice',
        `  catalogue   ${facts.catalogue.digest} from https://github.com/acme/platform.git#main:gantry.yaml (revision ${'fe'.repeat(20)})`,
        '  commands',
        '    build  npm run build',
        '    unit   npm test',
        '  built by    urn:gantry:worker (urn:gantry:release-build:v1)',
        '  invocation  default/release/web/2.0.0/run-1',
        '  started     2026-12-01T10:00:00.000Z',
        '  finished    2026-12-01T10:03:00.000Z',
      ].join('\n'),
    );
  });

  test('a repository root and no commands say so briefly', () => {
    const text = renderArtifact(artifact, provenanceStatement(artifact, { ...facts, commands: [], source: { ...facts.source, directory: '.' } }));
    expect(text).toContain('  repository  https://github.com/acme/web.git\n');
    expect(text).toContain('  commands    none\n');
  });

  test('an artifact without provenance shows what is known', () => {
    expect(renderArtifact(artifact)).toBe(
      ['Artifact web 2.0.0', `  digest      sha256:${HEX}`, '  size        12345 bytes', '  provenance  none recorded for this release'].join('\n'),
    );
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadCatalogue } from '../../src/config/load-catalogue';

/**
 * Each case breaks a valid catalogue in one way. The line the issue must point at is
 * marked in the broken YAML with a trailing `#<` comment, so the expectation sits next
 * to the text it is about instead of in a line count that drifts.
 */

const VALID = `version: 1
services:
  web:
    repository: web
    build: npm run build
    test:
      unit: npm test
      lint: npm run lint
    artifact:
      include: [dist, package.json]
    run:
      command: node dist/server.js
      health: /healthz
    environments:
      staging:
        target: local
      production:
        strategy: allAtOnce
    approval:
      approvers: [alice, bob]
      minApprovals: 1
      timeout: 24h
`;

const MARKER = '#<';

/** Production's strategy line, which the progressive-delivery cases replace. */
const STRATEGY = '        strategy: allAtOnce';
/** Production as a canary with the given lines (indented under `canary:`). */
const canary = (lines: string): string => `        strategy: canary\n        canary:\n${lines}`;

interface BrokenCatalogue {
  name: string;
  /** Replacements applied to VALID; each `from` must occur exactly once. */
  edits: [from: string, to: string][];
  /** The issue's dotted path; '' for problems of the file as a whole (YAML syntax). */
  path: string;
  message: string | RegExp;
  column?: number;
}

const CASES: BrokenCatalogue[] = [
  {
    name: 'a number where a command belongs',
    edits: [['    build: npm run build', '    build: 42 #<']],
    path: 'services.web.build',
    message: "expected a string, got a number (42) — shell command (run with sh -c in the service's directory of the release's checkout): the build",
    column: 12,
  },
  {
    name: 'a string where a number belongs',
    edits: [['      minApprovals: 1', '      minApprovals: "two" #<']],
    path: 'services.web.approval.minApprovals',
    message: 'expected a number, got a string ("two")',
  },
  {
    name: 'a list where an object belongs',
    edits: [['    test:\n      unit: npm test\n      lint: npm run lint', '    test: [npm test] #<']],
    path: 'services.web.test',
    message: /^expected an object \(key: value pairs\), got a list — commands of the test stage/,
  },
  {
    name: 'a key with no value',
    edits: [['    build: npm run build', '    build: #<']],
    path: 'services.web.build',
    message: /^has no value; expected a string — shell command/,
  },
  {
    name: 'an unknown top-level key close to a known one',
    edits: [['version: 1', 'version: 1\nservice: {} #<']],
    path: 'service',
    message: 'unknown key "service"; did you mean "services"?',
    column: 1,
  },
  {
    name: 'an unknown top-level key close to nothing',
    edits: [['version: 1', 'version: 1\nowner: platform-team #<']],
    path: 'owner',
    message: 'unknown key "owner"; the keys allowed here are version, services, changePolicy, roles, groups, signers, review, flags',
  },
  {
    name: 'a misspelt key in a service',
    edits: [['    build: npm run build', '    buidl: npm run build #<']],
    path: 'services.web.buidl',
    message: 'unknown key "buidl"; did you mean "build"?',
    column: 5,
  },
  {
    name: 'a misspelt key deep inside approval',
    edits: [['      minApprovals: 1', '      minApproval: 1 #<']],
    path: 'services.web.approval.minApproval',
    message: 'unknown key "minApproval"; did you mean "minApprovals"?',
    column: 7,
  },
  {
    name: 'an environment name that is not one',
    edits: [['      production:', '      Production_EU: #<']],
    path: 'services.web.environments.Production_EU',
    message: /environment names are lower-case letters, digits and -, starting with a letter/,
  },
  {
    name: 'no build command (points at the service that lacks it)',
    edits: [['    build: npm run build\n', ''], ['  web:', '  web: #<']],
    path: 'services.web.build',
    message: /^missing required key "build" — shell command \(run with sh -c in the service's directory of the release's checkout\): the build$/,
    column: 3,
  },
  {
    name: 'no unit test command',
    edits: [['      unit: npm test\n', ''], ['    test:', '    test: #<']],
    path: 'services.web.test.unit',
    message: /^missing required key "unit" — shell command .*: the unit tests$/,
    column: 5,
  },
  {
    name: 'an empty command',
    edits: [['    build: npm run build', '    build: "" #<']],
    path: 'services.web.build',
    message: 'the build must be a shell command, e.g. "npm run build"',
  },
  {
    name: 'a command of blanks',
    edits: [['      lint: npm run lint', '      lint: "   " #<']],
    path: 'services.web.test.lint',
    message: 'the linter must be a shell command, e.g. "npm run build"',
  },
  {
    name: 'an unknown strategy',
    edits: [['        strategy: allAtOnce', '        strategy: rolling #<']],
    path: 'services.web.environments.production.strategy',
    message: /^unknown strategy "rolling"; expected .*"allAtOnce"/,
    column: 19,
  },
  {
    name: 'a strategy in the wrong case',
    edits: [['        strategy: allAtOnce', '        strategy: allatonce #<']],
    path: 'services.web.environments.production.strategy',
    message: 'unknown strategy "allatonce"; did you mean "allAtOnce"?',
  },
  {
    name: 'an unknown target',
    edits: [['        target: local', '        target: k8s #<']],
    path: 'services.web.environments.staging.target',
    message: /^unknown target "k8s"; expected .*"local"/,
  },
  {
    name: 'approvals required but no approvers',
    edits: [['      approvers: [alice, bob]', '      approvers: [] #<']],
    path: 'services.web.approval.approvers',
    message: 'minApprovals is 1 but no approvers are listed; add approvers or set minApprovals: 0',
  },
  {
    name: 'more approvals required than approvers',
    edits: [['      minApprovals: 1', '      minApprovals: 3 #<']],
    path: 'services.web.approval.minApprovals',
    message: 'needs 3 approvals but only 2 approvers are listed; lower it or add approvers',
  },
  {
    name: 'an approver group that is not declared',
    edits: [['      approvers: [alice, bob]', '      approvers: [alice, group:payments] #<']],
    path: 'services.web.approval.approvers[1]',
    message: 'group:payments is not declared; declare it under groups: (declared: none)',
  },
  {
    name: 'a required group that is not declared',
    edits: [['      minApprovals: 1', '      minApprovals: 1\n      requiredGroups: [payments] #<']],
    path: 'services.web.approval.requiredGroups[0]',
    message: 'payments is not declared; declare it under groups: (declared: none)',
  },
  {
    name: 'a practitioner group that is not declared in the catalogue-wide roles',
    edits: [['version: 1', 'version: 1\ngroups:\n  sre: [erin]\nroles:\n  practitioners: [group:web-team] #<']],
    path: 'roles.practitioners[0]',
    message: 'group:web-team is not declared; declare it under groups: (declared: sre)',
  },
  {
    name: 'an approval policy on an environment without the gate',
    edits: [['        target: local', '        target: local\n        approval: { approvers: [carol] } #<']],
    path: 'services.web.environments.staging.approval',
    message: 'staging has no approval gate (production has it); move this approval policy there or give staging gate: approval',
  },
  {
    name: 'a signer key that does not parse',
    edits: [['version: 1', 'version: 1\nsigners:\n  bob: [ssh-ed25519 AAAAbm90IGEga2V5 bob@laptop] #<']],
    path: 'signers.bob[0]',
    message: /^does not parse as an SSH public key/,
  },
  {
    name: 'a negative approval count',
    edits: [['      minApprovals: 1', '      minApprovals: -1 #<']],
    path: 'services.web.approval.minApprovals',
    message: 'must be 0 or more',
  },
  {
    name: 'a fractional approval count',
    edits: [['      minApprovals: 1', '      minApprovals: 1.5 #<']],
    path: 'services.web.approval.minApprovals',
    message: 'must be a whole number',
  },
  {
    name: 'an approver that is no user name',
    edits: [['      approvers: [alice, bob]', '      approvers: [alice, "bob smith"] #<']],
    path: 'services.web.approval.approvers[1]',
    message: /^must be a user name or e-mail address/,
  },
  {
    name: 'a negative timeout',
    edits: [['      timeout: 24h', '      timeout: -5m #<']],
    path: 'services.web.approval.timeout',
    message: '"-5m" is not a positive duration; write a number followed by ms, s, m, h or d, e.g. 24h',
    column: 16,
  },
  {
    name: 'a zero timeout',
    edits: [['      timeout: 24h', '      timeout: 0s #<']],
    path: 'services.web.approval.timeout',
    message: /^"0s" is not a positive duration/,
  },
  {
    name: 'an unparseable duration',
    edits: [['      timeout: 24h', '      timeout: one day #<']],
    path: 'services.web.approval.timeout',
    message: /^"one day" is not a positive duration; .* e\.g\. 24h$/,
  },
  {
    name: 'a duration without a unit',
    edits: [['      health: /healthz', '      health: /healthz\n      startTimeout: 30 #<']],
    path: 'services.web.run.startTimeout',
    message: /^expected a string, got a number \(30\) — a duration such as 30s/,
  },
  {
    name: 'a health path without a leading slash',
    edits: [['      health: /healthz', '      health: healthz #<']],
    path: 'services.web.run.health',
    message: 'must be an HTTP path starting with /, e.g. /healthz',
  },
  {
    name: "an artifact path that climbs out of the service's directory",
    edits: [['      include: [dist, package.json]', '      include: [dist, ../secrets] #<']],
    path: 'services.web.artifact.include[1]',
    message: "must be a path inside the service's directory (no leading / and no ..)",
    column: 23,
  },
  {
    name: 'an absolute artifact path',
    edits: [['      include: [dist, package.json]', '      include:\n        - /etc/passwd #<']],
    path: 'services.web.artifact.include[0]',
    message: "must be a path inside the service's directory (no leading / and no ..)",
  },
  {
    name: 'an empty artifact',
    edits: [['      include: [dist, package.json]', '      include: [] #<']],
    path: 'services.web.artifact.include',
    message: 'list at least one file or directory to pack, e.g. [dist, package.json]',
  },
  {
    name: 'a service name with capitals and an underscore',
    edits: [['  web:', '  Web_App: #<']],
    path: 'services.Web_App',
    message: 'invalid key "Web_App": service names are lower-case letters, digits and -, starting with a letter',
    column: 3,
  },
  {
    name: 'a format version other than 1',
    edits: [['version: 1', 'version: 2 #<']],
    path: 'version',
    message: 'must be 1, got 2 — format version of this file; write 1',
  },
  {
    name: 'the format version as a string',
    edits: [['version: 1', 'version: "1" #<']],
    path: 'version',
    message: /^must be 1, got "1"/,
  },
  {
    name: 'a source folder, as the catalogue had before services named their repository',
    edits: [['    repository: web', '    source: ./web #<']],
    path: 'services.web.source',
    message:
      "source was replaced by repository: name the service's git repository (a URL, or a path relative to this file) and, for a service in a subfolder of it, directory: <folder>",
    column: 5,
  },
  {
    name: 'no repository (points at the service that lacks it)',
    edits: [['    repository: web\n', ''], ['  web:', '  web: #<']],
    path: 'services.web.repository',
    message: /^missing required key "repository" — the service's git repository: a URL git can fetch \(https:\/\/…, ssh:\/\/…, git@host:org\/repo\.git, file:\/\/…\), an absolute path, or a path relative to the folder of this file, e\.g\. \.\/web$/,
    column: 3,
  },
  {
    name: 'a repository git would read as an option',
    edits: [['    repository: web', '    repository: --mirror #<']],
    path: 'services.web.repository',
    message: 'must not start with - (git would read it as an option); write ./ in front of a folder that does',
    column: 17,
  },
  {
    name: 'a directory that climbs out of the repository',
    edits: [['    repository: web', '    repository: web\n    directory: ../other #<']],
    path: 'services.web.directory',
    message: 'must be a folder inside the repository (no leading / and no ..), e.g. services/web',
    column: 16,
  },
  {
    name: 'an absolute directory',
    edits: [['    repository: web', '    repository: web\n    directory: /srv/web #<']],
    path: 'services.web.directory',
    message: 'must be a folder inside the repository (no leading / and no ..), e.g. services/web',
  },
  {
    name: 'canary steps whose weights do not increase',
    edits: [[STRATEGY, canary('          steps:\n            - { weight: 10, soak: 5m }\n            - { weight: 5, soak: 5m } #<\n            - { weight: 100 }')]],
    path: 'services.web.environments.production.canary.steps[1].weight',
    message: 'weights must increase: 5 follows 10',
  },
  {
    name: 'canary steps that end below 100 %',
    edits: [[STRATEGY, canary('          steps:\n            - { weight: 10, soak: 5m }\n            - { weight: 50, soak: 5m } #<')]],
    path: 'services.web.environments.production.canary.steps[1].weight',
    message: 'the last step must be 100 (it is 50); add { weight: 100 }',
  },
  {
    name: 'a canary step below 100 % without a soak',
    edits: [[STRATEGY, canary('          steps:\n            - weight: 10 #<\n            - { weight: 100 }')]],
    path: 'services.web.environments.production.canary.steps[0].soak',
    message: 'step 10 % needs a soak, e.g. soak: 10m',
  },
  {
    name: 'a negative analysis interval',
    edits: [[STRATEGY, canary('          interval: -1m #<')]],
    path: 'services.web.environments.production.canary.interval',
    message: '"-1m" is not a positive duration; write a number followed by ms, s, m, h or d, e.g. 1m',
    column: 21,
  },
  {
    name: 'a zero analysis interval',
    edits: [[STRATEGY, canary('          interval: 0s #<')]],
    path: 'services.web.environments.production.canary.interval',
    message: /^"0s" is not a positive duration/,
  },
  {
    name: 'a zero blue/green interval',
    edits: [[STRATEGY, '        strategy: blueGreen\n        blueGreen:\n          interval: 0ms #<']],
    path: 'services.web.environments.production.blueGreen.interval',
    message: /^"0ms" is not a positive duration/,
  },
  {
    name: 'an error rate above 1 (a percentage where a fraction belongs)',
    edits: [[STRATEGY, canary('          analysis:\n            maxErrorRate: 2 #<')]],
    path: 'services.web.environments.production.canary.analysis.maxErrorRate',
    message: 'must be at most 1, got 2',
  },
  {
    name: 'a misspelt analysis rule',
    edits: [[STRATEGY, canary('          analysis:\n            maxErrorRat: 0.05 #<')]],
    path: 'services.web.environments.production.canary.analysis.maxErrorRat',
    message: 'unknown key "maxErrorRat"; did you mean "maxErrorRate"?',
  },
  {
    name: 'an unknown router kind',
    edits: [[STRATEGY, `${STRATEGY}\n        router:\n          kind: nginx #<`]],
    path: 'services.web.environments.production.router.kind',
    message: /"embedded".*"haproxy"|'embedded' \| 'haproxy'/,
  },
  {
    name: 'an HAProxy router without its socket',
    edits: [[STRATEGY, `${STRATEGY}\n        router: #<\n          kind: haproxy\n          backend: web\n          url: http://127.0.0.1:8080`]],
    path: 'services.web.environments.production.router.socket',
    message: /^missing required key "socket" — path of the HAProxy stats socket/,
  },
  {
    name: 'a Prometheus URL without a scheme',
    edits: [[STRATEGY, `${STRATEGY}\n        metrics:\n          kind: prometheus\n          url: localhost:9090 #<`]],
    path: 'services.web.environments.production.metrics.url',
    message: 'must be the Prometheus base URL, e.g. http://127.0.0.1:9090',
    column: 16,
  },
  {
    name: 'a Prometheus URL that is no URL',
    edits: [[STRATEGY, `${STRATEGY}\n        metrics:\n          kind: prometheus\n          url: prometheus at port 9090 #<`]],
    path: 'services.web.environments.production.metrics.url',
    message: 'must be the Prometheus base URL, e.g. http://127.0.0.1:9090',
  },
  {
    name: 'a service with no environments',
    edits: [['    environments:\n      staging:\n        target: local\n      production:\n        strategy: allAtOnce\n', '    environments: {} #<\n']],
    path: 'services.web.environments',
    message: /list at least one environment, e\.g\. staging: \{\} and production: \{\}/,
  },
  {
    name: 'an unknown strategy',
    edits: [['        strategy: allAtOnce', '        strategy: rolling #<']],
    path: 'services.web.environments.production.strategy',
    message: /rolling/,
  },
  {
    name: 'two approval gates',
    edits: [['        target: local', '        target: local\n        gate: approval'], ['      production:', '      production:\n        gate: approval #<']],
    path: 'services.web.environments.production.gate',
    message: /^only one environment of a service may have gate: approval \(staging has it already\)/,
  },
  {
    name: 'a soak precondition on the first environment, which has nothing before it',
    edits: [['        target: local', '        target: local\n        soakInPrevious: 2h #<']],
    path: 'services.web.environments.staging.soakInPrevious',
    message: /^staging is the first environment, so there is no previous one for a version to soak in; remove soakInPrevious here, or set it on a later environment/,
  },
  {
    name: 'a soak precondition that is no duration',
    edits: [[STRATEGY, `${STRATEGY}\n        soakInPrevious: two hours #<`]],
    path: 'services.web.environments.production.soakInPrevious',
    message: /"two hours" is not a positive duration/,
  },
  {
    name: 'a YAML syntax error',
    edits: [['    build: npm run build', '    build: npm: run build #<']],
    path: '',
    message: 'YAML syntax error: Nested mappings are not allowed in compact mappings; if a value contains ": ", put it in quotes',
    column: 12,
  },
  {
    name: 'a key given twice',
    edits: [['    build: npm run build', '    build: npm run build\n    build: make #<']],
    path: '',
    message: 'YAML syntax error: Map keys must be unique; remove or rename one of them',
    column: 5,
  },
];

let workDir: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-config-'));
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

function applyEdits(edits: BrokenCatalogue['edits']): string {
  return edits.reduce((text, [from, to]) => {
    const occurrences = text.split(from).length - 1;
    if (occurrences !== 1) throw new Error(`test fixture: ${JSON.stringify(from)} occurs ${occurrences} times`);
    return text.replace(from, to);
  }, VALID);
}

function markedLine(text: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(MARKER));
  if (index < 0) throw new Error('test fixture: no #< marker');
  return index + 1;
}

let fileCount = 0;
function writeCatalogue(text: string): string {
  const file = path.join(workDir, `gantry-${++fileCount}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

function loadError(file: string): ConfigError {
  try {
    loadCatalogue(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the catalogue to be refused');
}

test('the unbroken fixture is valid', () => {
  expect(() => loadCatalogue(writeCatalogue(VALID))).not.toThrow();
});

test.each(CASES)('refuses $name', ({ edits, path: issuePath, message, column }) => {
  const text = applyEdits(edits);
  const file = writeCatalogue(text);
  const error = loadError(file);

  const issue = error.issues.find((candidate) => candidate.path === issuePath);
  expect(issue).toBeDefined();
  if (!issue) return;
  expect(issue.line).toBe(markedLine(text));
  if (column !== undefined) expect(issue.column).toBe(column);
  if (typeof message === 'string') expect(issue.message).toBe(message);
  else expect(issue.message).toMatch(message);

  const where = `${file}:${issue.line}:${issue.column}`;
  const expectedLine = issuePath ? `${where} ${issuePath}: ${issue.message}` : `${where}: ${issue.message}`;
  expect(error.message.split('\n')).toContain(expectedLine);
});

test('lists every problem, in file order, in one error', () => {
  const text = applyEdits([
    ['version: 1', 'version: 3'],
    ['    build: npm run build', '    buidl: npm run build'],
    ['      timeout: 24h', '      timeout: soon'],
  ]);
  const error = loadError(writeCatalogue(text));
  expect(error.issues.map((issue) => [issue.path, issue.line])).toEqual([
    ['version', 1],
    ['services.web.build', 3],
    ['services.web.buidl', 5],
    ['services.web.approval.timeout', 22],
  ]);
  expect(error.message.split('\n')).toHaveLength(4);
  expect(error.name).toBe('ConfigError');
});

test('refuses an empty file with what it needs', () => {
  const error = loadError(writeCatalogue(''));
  expect(error.issues).toEqual([{ path: '', message: 'the file is empty; it needs `version: 1` and a `services:` map' }]);
});

test('refuses a catalogue without services', () => {
  const error = loadError(writeCatalogue('version: 1\nservices: {}\n'));
  expect(error.issues).toEqual([{ path: 'services', line: 2, column: 11, message: 'declare at least one service' }]);
});

test('refuses an alias to an anchor that does not exist', () => {
  const error = loadError(writeCatalogue(VALID.replace('    build: npm run build', '    build: *nothing')));
  expect(error.issues[0].message).toMatch(/^YAML error: .*nothing/);
});

test('accepts a repository that is not there yet: it is checked when a release is admitted', () => {
  fs.writeFileSync(path.join(workDir, 'not-a-dir'), '');
  expect(() => loadCatalogue(writeCatalogue(VALID.replace('    repository: web', '    repository: not-a-dir')))).not.toThrow();
  expect(() => loadCatalogue(writeCatalogue(VALID.replace('    repository: web', '    repository: ./nowhere')))).not.toThrow();
});

test('refuses a file that does not exist', () => {
  const error = loadError(path.join(workDir, 'missing.yaml'));
  expect(error.issues[0].message).toMatch(/^file not found; pass the catalogue with --config <file>/);
});

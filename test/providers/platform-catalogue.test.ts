import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileCatalogueSource } from '../../src/providers/catalogue/file-catalogue-source';
import { PlatformCatalogue, type CatalogueSource } from '../../src/providers/catalogue/platform-catalogue';
import { waitFor } from './support';

const SERVICE = (name: string, build = 'npm run build') => `  ${name}:
    repository: ./${name}
    build: ${build}
    test: { unit: npm test, lint: npm run lint }
    artifact: { include: [dist] }
    run: { command: node dist/server.js }
    environments: { staging: {}, production: {} }
`;
const GOOD = `version: 1\nservices:\n${SERVICE('web')}`;
const CHANGED = `version: 1\nservices:\n${SERVICE('web', 'make')}${SERVICE('api')}`;
const BROKEN = GOOD.replace('    build: npm run build', '    buidl: npm run build');

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** Keeps what was logged, to assert on it. */
function recordingLogger() {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { lines, logger: { info: record('info'), warn: record('warn'), error: record('error') } };
}

let workDir: string;
let file: string;
let catalogue: PlatformCatalogue | undefined;

beforeEach(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-platform-catalogue-'));
  file = path.join(workDir, 'gantry.yaml');
});

afterEach(() => {
  catalogue?.stop();
  catalogue = undefined;
  fs.rmSync(workDir, { recursive: true, force: true });
});

/**
 * Writes through a new file renamed into place, as editors and config managers do:
 * a new inode, so the change token moves even within the file system's time resolution.
 */
function writeCatalogue(text: string): void {
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

function platformCatalogue(options: { pollMs?: number; source?: CatalogueSource } = {}) {
  const log = recordingLogger();
  catalogue = new PlatformCatalogue(options.source ?? fileCatalogueSource(file), { logger: log.logger, pollMs: options.pollMs });
  return { catalogue, lines: log.lines };
}

test('loads the catalogue and reports its digest, location and services', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  expect(catalogue.current()).toEqual({});
  expect(catalogue.location).toBe(file);

  const state = await catalogue.refresh();
  expect(state.lastError).toBeUndefined();
  expect(state.inForce).toMatchObject({ digest: digestOf(GOOD), location: file });
  expect(state.inForce?.revision).toBeUndefined();
  expect(Date.parse(state.inForce?.loadedAt ?? '')).not.toBeNaN();
  // Relative repositories resolve against the catalogue file's folder.
  expect(state.inForce?.catalogue.service('web').repository).toBe(path.join(workDir, 'web'));
  expect(catalogue.current()).toEqual(state);
  expect(lines).toEqual([
    { level: 'info', msg: 'catalogue loaded', obj: { location: file, digest: digestOf(GOOD), revision: undefined, services: ['web'] } },
  ]);
});

test('picks up a change on refresh, and does not reload what did not change', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  const first = await catalogue.refresh();
  expect(await catalogue.refresh()).toEqual(first);

  writeCatalogue(CHANGED);
  const second = await catalogue.refresh();
  expect(second.inForce?.digest).toBe(digestOf(CHANGED));
  expect(second.inForce?.catalogue.service('web').config.build).toBe('make');
  expect(Object.keys(second.inForce?.catalogue.catalogue.services ?? {})).toEqual(['web', 'api']);
  expect(lines.map((line) => [line.msg, line.obj.digest])).toEqual([
    ['catalogue loaded', digestOf(GOOD)],
    ['catalogue loaded', digestOf(CHANGED)],
  ]);
  expect(lines[1].obj).toMatchObject({ services: ['web', 'api'], replaced: digestOf(GOOD) });
});

test('a broken change keeps the last good catalogue in force; fixing it clears the error', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  const good = await catalogue.refresh();

  writeCatalogue(BROKEN);
  const broken = await catalogue.refresh();
  expect(broken.inForce).toBe(good.inForce);
  expect(broken.lastError).toEqual({
    at: expect.any(String),
    digest: digestOf(BROKEN),
    message: `${file}:3:3 services.web.build: missing required key "build" — shell command (run with sh -c in the service's directory of the release's checkout): the build\n${file}:5:5 services.web.buidl: unknown key "buidl"; did you mean "build"?`,
  });
  expect(lines.at(-1)).toEqual({
    level: 'error',
    msg: 'catalogue change refused; the last good one stays in force',
    obj: { location: file, errors: broken.lastError?.message, inForce: digestOf(GOOD), digest: digestOf(BROKEN) },
  });

  writeCatalogue(CHANGED);
  const fixed = await catalogue.refresh();
  expect(fixed.lastError).toBeUndefined();
  expect(fixed.inForce?.digest).toBe(digestOf(CHANGED));
});

test('undoing a broken change clears the error without reloading', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  const good = await catalogue.refresh();
  writeCatalogue(BROKEN);
  await catalogue.refresh();

  writeCatalogue(GOOD);
  const undone = await catalogue.refresh();
  expect(undone).toEqual({ inForce: good.inForce });
  expect(lines.map((line) => line.msg)).toEqual(['catalogue loaded', 'catalogue change refused; the last good one stays in force']);
});

test('the same broken content is logged once, however often it is polled or rewritten', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  await catalogue.refresh();
  writeCatalogue(BROKEN);
  const first = await catalogue.refresh();
  await catalogue.refresh();
  writeCatalogue(BROKEN); // the same text again, under a new change token
  const again = await catalogue.refresh();

  expect(again.lastError).toEqual(first.lastError);
  expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
});

test('with nothing in force, a broken catalogue is retried each refresh but logged once', async () => {
  writeCatalogue(BROKEN);
  const { catalogue, lines } = platformCatalogue();
  const first = await catalogue.refresh();
  expect(first.inForce).toBeUndefined();
  expect(first.lastError?.digest).toBe(digestOf(BROKEN));
  await catalogue.refresh();
  expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'catalogue refused; no catalogue is in force, so no release is admitted' })]);

  writeCatalogue(GOOD);
  expect(await catalogue.refresh()).toEqual({ inForce: expect.objectContaining({ digest: digestOf(GOOD) }) });
});

test('a missing file says how to name the catalogue, and a deleted one leaves the last good one in force', async () => {
  const { catalogue, lines } = platformCatalogue();
  const missing = await catalogue.refresh();
  expect(missing.inForce).toBeUndefined();
  expect(missing.lastError?.message).toBe(
    `${file}: file not found; set GANTRY_CATALOGUE to the platform's gantry.yaml, or GANTRY_CATALOGUE_REPOSITORY to read it from git`,
  );
  expect(missing.lastError?.digest).toBeUndefined();
  expect(lines.at(-1)?.msg).toBe('catalogue source unreadable; no catalogue is in force, so no release is admitted');

  writeCatalogue(GOOD);
  const good = await catalogue.refresh();
  expect(good).toEqual({ inForce: expect.objectContaining({ digest: digestOf(GOOD) }) });

  fs.rmSync(file);
  const deleted = await catalogue.refresh();
  await catalogue.refresh();
  expect(deleted.inForce).toBe(good.inForce);
  expect(deleted.lastError?.message).toMatch(/file not found/);
  expect(lines.filter((line) => line.level === 'warn')).toEqual([
    expect.objectContaining({ msg: 'catalogue source unreadable; the last good one stays in force', obj: expect.objectContaining({ inForce: digestOf(GOOD) }) }),
  ]);
});

test('concurrent refresh calls share one load', async () => {
  writeCatalogue(GOOD);
  const source = fileCatalogueSource(file);
  let reads = 0;
  const counting: CatalogueSource = {
    location: source.location,
    repositoryBase: source.repositoryBase,
    changeToken: (signal) => source.changeToken(signal),
    read: (signal) => {
      reads += 1;
      return source.read(signal);
    },
  };
  const { catalogue, lines } = platformCatalogue({ source: counting });
  const states = await Promise.all([catalogue.refresh(), catalogue.refresh(), catalogue.refresh()]);
  expect(reads).toBe(1);
  expect(new Set(states.map((state) => state.inForce?.digest))).toEqual(new Set([digestOf(GOOD)]));
  expect(lines).toHaveLength(1);
});

test('an aborted refresh changes nothing and reports no failure', async () => {
  writeCatalogue(GOOD);
  const { catalogue, lines } = platformCatalogue();
  const controller = new AbortController();
  controller.abort();
  expect(await catalogue.refresh(controller.signal)).toEqual({});
  expect(lines).toEqual([]);
  expect((await catalogue.refresh()).inForce?.digest).toBe(digestOf(GOOD));
});

test('a git-kept catalogue must name repositories by URL or absolute path', async () => {
  const location = 'https://git.example.com/platform.git#main:gantry.yaml';
  const gitLike = (text: string): CatalogueSource => ({
    location,
    changeToken: async () => digestOf(text),
    read: async () => ({ text, revision: 'c0ffee'.padEnd(40, '0') }),
  });
  const relative = platformCatalogue({ source: gitLike(GOOD) });
  expect((await relative.catalogue.refresh()).lastError?.message).toBe(
    `${location}:4:17 services.web.repository: a catalogue kept in git must name repositories by URL or absolute path; a relative path has no folder to resolve against`,
  );

  const byUrl = platformCatalogue({ source: gitLike(GOOD.replace('repository: ./web', 'repository: https://git.example.com/shop/web.git')) });
  const state = await byUrl.catalogue.refresh();
  expect(state.inForce).toMatchObject({ location, revision: 'c0ffee'.padEnd(40, '0') });
  expect(byUrl.lines[0].obj).toMatchObject({ location, revision: 'c0ffee'.padEnd(40, '0') });
});

test('polling picks up a change without refresh being called, and stops when told', async () => {
  writeCatalogue(GOOD);
  const { catalogue } = platformCatalogue({ pollMs: 50 });
  catalogue.start();
  await waitFor(() => catalogue.current().inForce?.digest === digestOf(GOOD), 5_000);

  writeCatalogue(CHANGED);
  await waitFor(() => catalogue.current().inForce?.digest === digestOf(CHANGED), 5_000);

  catalogue.stop();
  writeCatalogue(GOOD);
  await new Promise((resolve) => setTimeout(resolve, 250));
  expect(catalogue.current().inForce?.digest).toBe(digestOf(CHANGED));
});

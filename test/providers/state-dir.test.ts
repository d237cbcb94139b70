import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, gantryHome, readJsonFile, runtimeDir, writeJsonAtomic } from '../../src/providers/state-dir';

describe('gantryHome', () => {
  it('uses $GANTRY_HOME, made absolute', () => {
    expect(gantryHome({ GANTRY_HOME: 'relative/home' })).toBe(path.resolve('relative/home'));
    expect(gantryHome({ GANTRY_HOME: '/srv/gantry' })).toBe('/srv/gantry');
  });

  it('defaults to .gantry in the current directory', () => {
    expect(gantryHome({})).toBe(path.join(process.cwd(), '.gantry'));
    expect(gantryHome({ GANTRY_HOME: '  ' })).toBe(path.join(process.cwd(), '.gantry'));
  });

  it('keeps artifacts and runtime state in their own folders', () => {
    expect(artifactsDir('/srv/gantry')).toBe('/srv/gantry/artifacts');
    expect(runtimeDir('/srv/gantry')).toBe('/srv/gantry/runtime');
  });
});

describe('writeJsonAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes JSON that reads back, creating folders and leaving no temp files', async () => {
    const file = path.join(dir, 'a', 'b', 'record.json');
    await writeJsonAtomic(file, { n: 1 });
    await writeJsonAtomic(file, { n: 2 });
    expect(await readJsonFile(file)).toEqual({ n: 2 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 2 });
    expect(await readdir(path.dirname(file))).toEqual(['record.json']);
  });

  it('reads a missing file as undefined', async () => {
    expect(await readJsonFile(path.join(dir, 'missing.json'))).toBeUndefined();
  });
});

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the embedded providers keep their state on disk, and how they write it.
 *
 * Everything lives under one directory so a demo can be wiped with one `rm -rf` and
 * a worker can be pointed elsewhere with one variable.
 */

/** `$GANTRY_HOME`, or `.gantry` in the current directory; always absolute. */
export function gantryHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.GANTRY_HOME?.trim();
  return path.resolve(configured ? configured : path.join(process.cwd(), '.gantry'));
}

/** Root of the local artifact store. */
export function artifactsDir(home: string = gantryHome()): string {
  return path.join(home, 'artifacts');
}

/** Root of the local process runtime (unpacked apps, logs, instance records). */
export function runtimeDir(home: string = gantryHome()): string {
  return path.join(home, 'runtime');
}

/**
 * Writes JSON so a reader sees the old file or the new one, never half of either: a
 * worker killed mid-write must not leave a record that no longer parses.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Reads a JSON file written by {@link writeJsonAtomic}; undefined when it does not exist. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where tests leave what people look at after a run (screenshots): $GANTRY_TEST_ARTIFACTS, else a folder under the temp dir. */
export function artifactsDir(): string {
  const dir = process.env.GANTRY_TEST_ARTIFACTS ?? path.join(tmpdir(), 'gantry-test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

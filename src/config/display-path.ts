import * as path from 'node:path';

/**
 * A file as a person would type it: relative to the working directory when it is
 * inside it (`gantry.yaml`), absolute otherwise, so messages stay short but unambiguous.
 */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

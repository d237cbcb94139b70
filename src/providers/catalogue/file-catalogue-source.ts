import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import type { CatalogueSource, CatalogueText } from './platform-catalogue';

/**
 * The platform's catalogue as a file on the worker's machine (GANTRY_CATALOGUE).
 * Relative repository paths in it resolve against the file's folder.
 */
export function fileCatalogueSource(file: string): CatalogueSource {
  const location = path.resolve(file);
  return {
    location,
    repositoryBase: path.dirname(location),

    async changeToken(): Promise<string> {
      // ctime as well as mtime: a chmod that makes an unreadable file readable moves only ctime.
      const info = await stat(location, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
        // A missing file is not a token error: read() says what is wrong and how to fix it.
        if (err.code === 'ENOENT') return undefined;
        throw unreadable(location, err);
      });
      return info ? `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}` : 'missing';
    },

    async read(signal?: AbortSignal): Promise<CatalogueText> {
      try {
        return { text: await readFile(location, { encoding: 'utf8', signal }) };
      } catch (err) {
        if (signal?.aborted) throw err;
        throw unreadable(location, err as NodeJS.ErrnoException);
      }
    },
  };
}

function unreadable(file: string, err: NodeJS.ErrnoException): ConfigError {
  const message =
    err.code === 'ENOENT'
      ? "file not found; set GANTRY_CATALOGUE to the platform's gantry.yaml, or GANTRY_CATALOGUE_REPOSITORY to read it from git"
      : err.code === 'EISDIR'
        ? 'is a directory; set GANTRY_CATALOGUE to the gantry.yaml inside it'
        : `cannot be read: ${err.message}`;
  return new ConfigError(file, [{ path: '', message }]);
}

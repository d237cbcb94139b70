import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../providers/artifacts/artifact-store';
import { LocalArtifactStore } from '../providers/artifacts/local-artifact-store';
import { SharedArtifactStore } from '../providers/artifacts/shared-artifact-store';
import { WorkerSettingError } from './worker-host';

/**
 * `GANTRY_ARTIFACT_STORE`: the folder every worker mounts at the same path (an NFS, EFS
 * or SMB share), as an absolute path or a `file://` URL. Unset, artifacts stay in
 * `$GANTRY_HOME/artifacts`, which serves one machine. Returns the folder, or undefined.
 */
export function sharedArtifactFolderFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.GANTRY_ARTIFACT_STORE?.trim();
  if (!raw) return undefined;
  let folder: string;
  if (raw.startsWith('file:')) {
    try {
      folder = fileURLToPath(raw);
    } catch (err) {
      throw new WorkerSettingError(`GANTRY_ARTIFACT_STORE ${JSON.stringify(raw)} is not a usable file:// URL (${(err as Error).message}); give the shared folder's absolute path`);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new WorkerSettingError(
      `GANTRY_ARTIFACT_STORE ${JSON.stringify(raw)}: only a shared folder is supported (an absolute path or file:// URL that every worker mounts, e.g. an NFS share); mount the store and give its path`,
    );
  } else if (!path.isAbsolute(raw)) {
    throw new WorkerSettingError(`GANTRY_ARTIFACT_STORE ${JSON.stringify(raw)} is relative; give the shared folder's absolute path, the same on every worker`);
  } else {
    folder = raw;
  }
  const found = statOrUndefined(folder);
  if (!found?.isDirectory()) {
    throw new WorkerSettingError(
      `GANTRY_ARTIFACT_STORE ${folder} ${found ? 'is not a folder' : 'does not exist'}; mount the shared artifact store there (or create the folder), or unset it to keep artifacts on this machine`,
    );
  }
  return folder;
}

/** The artifact store a worker uses: the shared one with a local cache when configured, else the local one. */
export function artifactStoreFor(home: string, sharedFolder: string | undefined): ArtifactStore {
  const local = new LocalArtifactStore(path.join(home, 'artifacts'));
  return sharedFolder ? new SharedArtifactStore(new LocalArtifactStore(sharedFolder), local) : local;
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

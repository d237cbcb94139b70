import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { openFileFlagStore } from '../providers/flags/file-flag-store';
import { type FlagStore, InvalidFlagDocument } from '../providers/flags/flag-store';
import type { FlagDefinition, FlagDocument, FlagProblem } from '../policy/flags/flag-document';
import type { FlagAuthority } from '../policy/flag-authority';
import { describeFlagProblems, validateFlagDocument } from '../policy/flags/validate-flag-document';
import type { FlagWriteResult, StoredFlag } from '../shared/flags';

/**
 * What a flag entity needs of the flag store and the catalogue. The store is the file
 * under this worker's state folder (GANTRY_HOME), the same one its flag sync endpoint
 * serves (GANTRY_FLAGS_SYNC): these activities run on the shared task queue, so every
 * worker polling it must share that folder — for now, one flag-serving host. A write
 * renames the new document into place; the serving store sees the rename at once and
 * pushes it down every open sync stream.
 *
 * Schema validation (ajv compiles code) happens here and in the CLI, never in a workflow.
 */
export function createFlagActivities(deps: { file: string; catalogue: PlatformCatalogue }) {
  let opened: Promise<FlagStore> | undefined;
  // One store per worker process; its own watcher is not needed (it only writes).
  const store = (): Promise<FlagStore> => {
    opened ??= openFileFlagStore({ file: deps.file, watch: false }).catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    return opened;
  };

  return {
    /** The flag as the store serves it now (an entity adopts it on first use). */
    async readStoredFlag(request: { key: string }): Promise<StoredFlag> {
      const snapshot = await (await store()).read();
      const definition = snapshot.document.flags[request.key];
      return { revision: snapshot.revision, ...(definition ? { definition } : {}) };
    },

    /**
     * Problems with a definition of `key`, checked as it would be stored: flagd's schema,
     * then the checks a schema cannot make, with the store's shared `$evaluators`.
     * Empty: valid. Fields are named as in a flag document (`flags.<key>.defaultVariant`).
     */
    async checkFlagDefinition(request: { key: string; definition: unknown }): Promise<FlagProblem[]> {
      const current = (await (await store()).read()).document;
      const checked = validateFlagDocument(withFlag(current, request.key, request.definition));
      return checked.ok ? [] : checked.problems;
    },

    /**
     * Writes one flag's definition into the store (read, change and write under the
     * store's lock: a concurrent write of another flag is not lost), and says which
     * revision it became and what the flag was before. Writing the same definition again
     * (a retry) changes nothing a reader can see but the revision.
     */
    async writeFlag(request: { key: string; definition: FlagDefinition }): Promise<FlagWriteResult> {
      let before: FlagDefinition | undefined;
      try {
        const snapshot = await (await store()).update((current) => {
          before = current.flags[request.key];
          return withFlag(current, request.key, request.definition);
        });
        return { revision: snapshot.revision, ...(before ? { before } : {}) };
      } catch (err) {
        if (err instanceof InvalidFlagDocument) {
          throw ApplicationFailure.create({ type: 'FlagInvalid', nonRetryable: true, message: describeFlagProblems(err.problems), details: [err.problems] });
        }
        throw err;
      }
    },

    /** The catalogue's flag roles as the worker holds them now (a role given or taken away counts at once). */
    async flagAuthority(): Promise<FlagAuthority> {
      const inForce = (await deps.catalogue.refresh(Context.current().cancellationSignal)).inForce;
      if (!inForce) throw new Error("the platform's catalogue is not loaded, so nobody's role can be checked");
      const { flags, roles, groups } = inForce.catalogue.catalogue;
      return {
        ...(flags ? { flags: { editors: flags.editors, killers: flags.killers } } : {}),
        ...(roles ? { processOwners: roles.processOwners } : {}),
        ...(groups ? { groups } : {}),
      };
    },
  };
}

function withFlag(document: FlagDocument, key: string, definition: unknown): FlagDocument {
  return { ...document, flags: { ...document.flags, [key]: definition as FlagDefinition } };
}

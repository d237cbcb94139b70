import type { ApprovalRecord, ReleaseChange } from '../shared/release';

/**
 * Schema releases: a database change ships apart from the code that uses it, so a
 * rollback of the code never meets a schema it cannot read. What a release's commit
 * changes since the version running in the service's first environment decides its kind:
 *
 * - only files of the migrations folder: a **schema** release (applies them, no code);
 * - no file of the folder: a **code** release;
 * - both, while migrations changed are already applied in the first environment's
 *   database unchanged (an earlier schema release shipped them): a **code** release;
 * - both, nothing ran yet: a **first** release (nothing old reads the schema, so each
 *   environment gets the migrations, then the code);
 * - both otherwise: **refused**, with the way to split it.
 *
 * Worked example: folder `migrations`, staging runs 1.2.0 from commit a1; commit b2 adds
 * `migrations/0002_add_email.sql` only → schema. Commit c3 then changes `src/server.js`;
 * c3 against a1 changes both, but 0002 is applied in staging with the same sha256 → code.
 * Had c3 come without the schema release, it would be refused.
 */

export interface ChangedFiles {
  /** Files of the migrations folder the commit adds, changes or removes (names inside the folder). */
  migrations: string[];
  /** The service's other files it changes (paths inside the repository). */
  other: string[];
}

/**
 * Splits a commit's changed files (paths inside the repository) into the migrations
 * folder's and the service's others; files outside the service's directory (another
 * service of a monorepo) are neither. `services/web`, `services/web/migrations`:
 * `services/web/migrations/0002_a.sql` → migration `0002_a.sql`, `services/web/src/x.ts` →
 * other, `services/api/y.ts` → ignored.
 */
export function splitChangedFiles(changed: readonly string[], serviceDirectory: string, folder: string): ChangedFiles {
  const within = (file: string, dir: string) => dir === '' || dir === '.' || file.startsWith(`${dir}/`);
  const migrations: string[] = [];
  const other: string[] = [];
  for (const file of changed) {
    if (within(file, folder)) migrations.push(file.slice(folder.length + 1));
    else if (within(file, serviceDirectory)) other.push(file);
  }
  return { migrations: migrations.sort(), other: other.sort() };
}

export type ChangeVerdict =
  | { verdict: 'schema' | 'code' | 'first' }
  /** Both changed since `base`: refused unless the migrations were shipped already, which only the database can tell. */
  | { verdict: 'ask-database' };

/** The kind a release is, before its first environment's database is asked (see the module's comment). */
export function classifyChange(changed: ChangedFiles, base: { commit: string } | undefined): ChangeVerdict {
  const sql = changed.migrations.filter((file) => file.toLowerCase().endsWith('.sql'));
  if (sql.length === 0) return { verdict: 'code' };
  if (changed.other.length === 0) return { verdict: 'schema' };
  return base ? { verdict: 'ask-database' } : { verdict: 'first' };
}

/**
 * Whether every migration a code release carries was applied in the first environment,
 * from the same file: `changed` maps each migration file to its sha256 at the release's
 * commit (a removed file has none), `applied` is the database's record.
 */
export function shippedAlready(changed: Readonly<Record<string, string | undefined>>, applied: ReadonlyMap<string, string>): boolean {
  return Object.entries(changed).every(([file, checksum]) => checksum !== undefined && applied.get(file) === checksum);
}

const listed = (files: readonly string[], most = 3) => (files.length <= most ? files.join(', ') : `${files.slice(0, most).join(', ')} and ${files.length - most} more`);

/** Why a release with both is refused, and how to split it. */
export function mixedChangeRefusal(input: {
  service: string;
  version: string;
  folder: string;
  changed: ChangedFiles;
  base: { commit: string; version: string };
  environment: string;
}): string {
  const { service, version, folder, changed, base, environment } = input;
  const migrations = changed.migrations.map((file) => `${folder}/${file}`);
  return (
    `${service} ${version} changes both its migrations (${listed(migrations)}) and its code (${listed(changed.other)}) since ${base.version} ` +
    `(${base.commit.slice(0, 12)}), which runs in ${environment}; a schema change ships apart from the code that uses it, so a rollback of the code never meets a schema it cannot read. ` +
    `Split it: first release a commit that changes only ${folder}/ (a schema release applies it to every environment), then release the code.`
  );
}

/** Who approved a migration: the release's approvers so far, or who started it when no approval was required. */
export function migrationApprover(approvals: readonly ApprovalRecord[], startedBy: string): string {
  return approvals.length > 0 ? approvals.map((a) => a.by).join(', ') : `${startedBy} (no approval required)`;
}

/** One line saying what kind of release it is and what it carries. */
export function changeLine(change: ReleaseChange): string {
  const since = change.base ? `since ${change.base.version} (${change.base.commit.slice(0, 12)})` : 'nothing ran before';
  const files = change.migrations.length > 0 ? `: ${listed(change.migrations, 5)}` : '';
  const contract = change.contract?.length ? `; contract step ${change.contract.map((c) => `${c.file} (after ${c.after}, window closed ${c.windowClosedAt})`).join(', ')}` : '';
  if (change.kind === 'schema') return `Schema release (${since}): only ${change.folder}/ changed, no code ships${files}${contract}`;
  if (change.kind === 'first') return `First release (${since}): in each environment the migrations of ${change.folder}/, then the code${files}`;
  return `Code release (${since})${change.migrations.length > 0 ? `; its migrations were applied by an earlier schema release${files}` : ''}`;
}

import type { ContractMarker } from './migration-contract-marker';

/**
 * Backward-compatibility rules for PostgreSQL migrations, read off PostgreSQL's own parse
 * tree (libpg_query's JSON; src/migrations/parse-migration.ts parses the files).
 *
 * A release's migrations run before its code, while the version before it still serves
 * traffic. So every statement must suit the code running now (expand), and must not take
 * a lock that stops that code for long. What only the old code needs goes in a later
 * contract step, once no version that needs the old shape runs anywhere.
 *
 * Worked example, `0003_drop_note.sql`:
 *
 *     1  ALTER TABLE orders DROP COLUMN note;
 *
 * gives drop-column at line 1 (the running version may still read `note`) and
 * missing-lock-timeout at line 1 (it locks `orders` with no SET lock_timeout before it).
 * With `SET lock_timeout = '5s';` first and a leading `-- gantry:contract after=2.4.0`,
 * only drop-column remains, carrying `contract: { after: '2.4.0' }`.
 *
 * A table created earlier in the same migration has no rows and no readers yet, so
 * nothing done to it later in that migration is reported.
 */

/** One node of the parse tree as libpg_query writes it: an object whose one key names its type, `{ AlterTableStmt: { … } }`. */
export type PgNode = Readonly<Record<string, unknown>>;

/** One statement of a migration. */
export interface MigrationStatement {
  /** 1-based line of the statement's first token. */
  line: number;
  stmt: PgNode;
}

export interface Migration {
  file: string;
  statements: readonly MigrationStatement[];
  contract?: ContractMarker;
}

interface RuleDefinition {
  /**
   * `compatibility`: breaks the version running now, so it belongs in a contract step
   * (findings carry the migration's contract marker); `locking`: blocks traffic or fails
   * on existing rows, whichever step it is in.
   */
  breaks: 'compatibility' | 'locking';
  /** What the rule refuses, in a few words. */
  refuses: string;
  safeAlternative: string;
}

const CONTRACT_STEP = 'in a later migration marked `-- gantry:contract after=<version>`, once no version that needs it runs';

export const MIGRATION_RULES = {
  'drop-table': {
    breaks: 'compatibility',
    refuses: 'DROP TABLE',
    safeAlternative: `release code that no longer uses the table, then drop it ${CONTRACT_STEP}`,
  },
  'drop-column': {
    breaks: 'compatibility',
    refuses: 'ALTER TABLE … DROP COLUMN',
    safeAlternative: `release code that no longer uses the column, then drop it ${CONTRACT_STEP}`,
  },
  'rename-table': {
    breaks: 'compatibility',
    refuses: 'ALTER TABLE … RENAME TO',
    safeAlternative: `create the new table, write to both and backfill, move readers to it in a release, then drop the old one ${CONTRACT_STEP}`,
  },
  'rename-column': {
    breaks: 'compatibility',
    refuses: 'ALTER TABLE … RENAME COLUMN',
    safeAlternative: `add the new column, write to both and backfill, move readers to it in a release, then drop the old one ${CONTRACT_STEP}`,
  },
  'change-column-type': {
    breaks: 'compatibility',
    refuses: 'ALTER TABLE … ALTER COLUMN … TYPE',
    safeAlternative: `add a column of the new type, write to both and backfill in batches, move readers to it in a release, then drop the old one ${CONTRACT_STEP}`,
  },
  'add-not-null-column-without-default': {
    breaks: 'locking',
    refuses: 'ADD COLUMN … NOT NULL (or PRIMARY KEY) without a DEFAULT',
    safeAlternative: 'give the column a DEFAULT (a constant one needs no table rewrite since PostgreSQL 11), or add it nullable, backfill, and make it NOT NULL later',
  },
  'set-not-null': {
    breaks: 'locking',
    refuses: 'ALTER COLUMN … SET NOT NULL',
    safeAlternative:
      'ADD CONSTRAINT … CHECK (column IS NOT NULL) NOT VALID in one migration; in a later one VALIDATE CONSTRAINT it, then SET NOT NULL (PostgreSQL 12+ trusts the validated check and skips the scan)',
  },
  'create-index-not-concurrently': {
    breaks: 'locking',
    refuses: 'CREATE INDEX without CONCURRENTLY on an existing table',
    safeAlternative: 'CREATE INDEX CONCURRENTLY, in a migration of its own (it cannot run inside a transaction block)',
  },
  'constraint-without-not-valid': {
    breaks: 'locking',
    refuses: 'ADD CONSTRAINT … FOREIGN KEY or CHECK without NOT VALID on an existing table',
    safeAlternative: 'add it NOT VALID (new rows are checked at once), then ALTER TABLE … VALIDATE CONSTRAINT in a later migration, which does not block writes',
  },
  'missing-lock-timeout': {
    breaks: 'locking',
    refuses: 'a statement that locks an existing table with no SET lock_timeout before it',
    safeAlternative: "start the migration with SET lock_timeout = '5s' (and run it again if it times out)",
  },
} as const satisfies Record<string, RuleDefinition>;

export type MigrationRule = keyof typeof MIGRATION_RULES;

export interface MigrationFinding {
  rule: MigrationRule;
  file: string;
  line: number;
  message: string;
  safeAlternative: string;
  /** The migration's contract marker, on findings of compatibility rules only: the release may allow them once that version runs everywhere. */
  contract?: ContractMarker;
}

/** Every finding of the rules in one migration, in the order of its statements. */
export function checkMigration(migration: Migration): MigrationFinding[] {
  const seen: Seen = { created: [], validated: [] };
  let lockTimeout: LockTimeout = 'unset';
  let lockTimeoutReported = false;
  const found: Array<{ rule: MigrationRule; line: number; message: string }> = [];
  for (const { line, stmt } of migration.statements) {
    for (const finding of statementFindings(stmt, seen)) found.push({ ...finding, line });
    const locked = existingTableLocked(stmt, seen);
    if (locked !== undefined && lockTimeout === 'unset' && !lockTimeoutReported) {
      found.push({ rule: 'missing-lock-timeout', line, message: `locks ${locked} with no SET lock_timeout before it: while it waits for its lock, every query on the table queues behind it` });
      lockTimeoutReported = true;
    }
    lockTimeout = lockTimeoutAfter(stmt, lockTimeout);
    record(stmt, seen);
  }
  return found.map(({ rule, line, message }) => ({
    rule,
    file: migration.file,
    line,
    message,
    safeAlternative: MIGRATION_RULES[rule].safeAlternative,
    ...(migration.contract && MIGRATION_RULES[rule].breaks === 'compatibility' ? { contract: migration.contract } : {}),
  }));
}

// ——— The parse tree, as far as the rules read it ———
// The parser's JSON is trusted to have the shape its node type gives it (libpg_query's
// pg_query.proto); only the fields read here are declared.

interface RangeVar {
  schemaname?: string;
  relname: string;
}
interface ColumnDef {
  colname?: string;
  typeName?: { names?: PgNode[] };
  constraints?: PgNode[];
}
interface Constraint {
  contype: string;
  conname?: string;
  /** NOT VALID. */
  skip_validation?: boolean;
  pktable?: RangeVar;
}
interface AlterTableCmd {
  subtype: string;
  name?: string;
  def?: PgNode;
}

function node<T>(n: PgNode | undefined, type: string): T | undefined {
  return n?.[type] as T | undefined;
}

function nodes<T>(list: readonly PgNode[] | undefined, type: string): T[] {
  return (list ?? []).flatMap((n) => node<T>(n, type) ?? []);
}

/** `orders`, or `shop.orders` when the schema is named. */
function tableName(table: RangeVar): string {
  return table.schemaname ? `${table.schemaname}.${table.relname}` : table.relname;
}

/** A DROP's object, `[schema, name]` as a list of strings, as a RangeVar. */
function droppedObject(object: PgNode): RangeVar {
  const names = nodes<{ sval: string }>(node<{ items?: PgNode[] }>(object, 'List')?.items, 'String').map((s) => s.sval);
  return names.length > 1 ? { schemaname: names[names.length - 2], relname: names[names.length - 1] } : { relname: names[0] ?? '' };
}

/** What the migration did before the statement at hand. */
interface Seen {
  /** Tables created in this migration: empty and unread, so nothing done to them is reported. */
  created: RangeVar[];
  /** Tables on which this migration validated a constraint: SET NOT NULL after it skips the scan. */
  validated: RangeVar[];
}

/** An unqualified name matches the same name in any schema: the migration's search_path is not known here. */
function sameTable(a: RangeVar, b: RangeVar): boolean {
  return a.relname === b.relname && (!a.schemaname || !b.schemaname || a.schemaname === b.schemaname);
}

const isNew = (table: RangeVar, seen: Seen) => seen.created.some((t) => sameTable(t, table));

function record(stmt: PgNode, seen: Seen): void {
  const created = node<{ relation: RangeVar }>(stmt, 'CreateStmt')?.relation ?? node<{ into: { rel: RangeVar } }>(stmt, 'CreateTableAsStmt')?.into.rel;
  if (created) seen.created.push(created);
  const alter = node<{ relation: RangeVar; cmds?: PgNode[] }>(stmt, 'AlterTableStmt');
  if (alter && nodes<AlterTableCmd>(alter.cmds, 'AlterTableCmd').some((cmd) => cmd.subtype === 'AT_ValidateConstraint')) seen.validated.push(alter.relation);
  const renamed = node<{ renameType: string; relation?: RangeVar; newname?: string }>(stmt, 'RenameStmt');
  if (renamed?.renameType === 'OBJECT_TABLE' && renamed.relation && renamed.newname && isNew(renamed.relation, seen)) {
    seen.created.push({ ...renamed.relation, relname: renamed.newname });
  }
}

// ——— Rules on one statement ———

type StatementFinding = { rule: MigrationRule; message: string };

function statementFindings(stmt: PgNode, seen: Seen): StatementFinding[] {
  const drop = node<{ removeType: string; objects?: PgNode[] }>(stmt, 'DropStmt');
  if (drop?.removeType === 'OBJECT_TABLE') {
    return (drop.objects ?? [])
      .map(droppedObject)
      .filter((table) => !isNew(table, seen))
      .map((table) => ({ rule: 'drop-table', message: `drops table ${tableName(table)}, which the version running now may still read or write` }));
  }
  const rename = node<{ renameType: string; relationType?: string; relation?: RangeVar; subname?: string; newname?: string }>(stmt, 'RenameStmt');
  if (rename?.relation && !isNew(rename.relation, seen)) {
    const table = tableName(rename.relation);
    if (rename.renameType === 'OBJECT_TABLE') {
      return [{ rule: 'rename-table', message: `renames table ${table} to ${rename.newname}: the version running now still uses the old name` }];
    }
    if (rename.renameType === 'OBJECT_COLUMN' && rename.relationType === 'OBJECT_TABLE') {
      return [{ rule: 'rename-column', message: `renames column ${table}.${rename.subname} to ${rename.newname}: the version running now still uses the old name` }];
    }
    return [];
  }
  const index = node<{ idxname?: string; relation: RangeVar; concurrent?: boolean }>(stmt, 'IndexStmt');
  if (index && !index.concurrent && !isNew(index.relation, seen)) {
    const table = tableName(index.relation);
    const name = index.idxname ? `index ${index.idxname}` : 'an index';
    return [{ rule: 'create-index-not-concurrently', message: `creates ${name} on ${table} without CONCURRENTLY: writes to ${table} wait until it is built` }];
  }
  const alter = node<{ relation: RangeVar; objtype: string; cmds?: PgNode[] }>(stmt, 'AlterTableStmt');
  if (alter?.objtype === 'OBJECT_TABLE' && !isNew(alter.relation, seen)) {
    return nodes<AlterTableCmd>(alter.cmds, 'AlterTableCmd').flatMap((cmd) => alterTableFindings(alter.relation, cmd, seen));
  }
  return [];
}

function alterTableFindings(relation: RangeVar, cmd: AlterTableCmd, seen: Seen): StatementFinding[] {
  const table = tableName(relation);
  switch (cmd.subtype) {
    case 'AT_DropColumn':
      return [{ rule: 'drop-column', message: `drops column ${table}.${cmd.name}, which the version running now may still read or write` }];
    case 'AT_AlterColumnType': {
      const names = nodes<{ sval: string }>(node<ColumnDef>(cmd.def, 'ColumnDef')?.typeName?.names, 'String');
      const type = names.length > 0 ? ` to ${names[names.length - 1].sval}` : '';
      return [
        {
          rule: 'change-column-type',
          message: `changes the type of ${table}.${cmd.name}${type}: the version running now expects the old type, and the table may be rewritten under an ACCESS EXCLUSIVE lock`,
        },
      ];
    }
    case 'AT_AddColumn': {
      const column = node<ColumnDef>(cmd.def, 'ColumnDef');
      const kinds = nodes<Constraint>(column?.constraints, 'Constraint').map((c) => c.contype);
      const notNull = kinds.includes('CONSTR_NOTNULL') || kinds.includes('CONSTR_PRIMARY');
      // An identity or generated column gets a value for every row, as a default does.
      const filled = kinds.some((k) => k === 'CONSTR_DEFAULT' || k === 'CONSTR_IDENTITY' || k === 'CONSTR_GENERATED');
      if (!notNull || filled) return [];
      return [
        {
          rule: 'add-not-null-column-without-default',
          message: `adds column ${table}.${column?.colname} NOT NULL without a default: it fails on a table with rows, and inserts by the version running now, which does not know the column, would fail`,
        },
      ];
    }
    case 'AT_SetNotNull':
      if (seen.validated.some((t) => sameTable(t, relation))) return [];
      return [{ rule: 'set-not-null', message: `sets NOT NULL on ${table}.${cmd.name}: it scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes` }];
    case 'AT_AddConstraint': {
      const constraint = node<Constraint>(cmd.def, 'Constraint');
      if (!constraint || constraint.skip_validation) return [];
      const name = constraint.conname ? ` ${constraint.conname}` : '';
      if (constraint.contype === 'CONSTR_FOREIGN') {
        const target = constraint.pktable ? ` and ${tableName(constraint.pktable)}` : '';
        return [{ rule: 'constraint-without-not-valid', message: `adds foreign key${name} on ${table} without NOT VALID: it checks every row while writes to ${table}${target} wait` }];
      }
      if (constraint.contype === 'CONSTR_CHECK') {
        return [{ rule: 'constraint-without-not-valid', message: `adds check constraint${name} on ${table} without NOT VALID: it checks every row under an ACCESS EXCLUSIVE lock, blocking reads and writes` }];
      }
      return [];
    }
    default:
      return [];
  }
}

// ——— Locks and lock_timeout ———

/** Foreign keys lock the table they reference too (SHARE ROW EXCLUSIVE: its writes wait). */
function referencedTables(constraints: readonly PgNode[] | undefined): RangeVar[] {
  return nodes<Constraint>(constraints, 'Constraint').flatMap((c) => (c.contype === 'CONSTR_FOREIGN' && c.pktable ? [c.pktable] : []));
}

/**
 * The existing table the statement locks in a way that makes other queries on it wait,
 * as a phrase for the message (`table orders`), or undefined when it locks none.
 * CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY are the exceptions they exist to be.
 */
function existingTableLocked(stmt: PgNode, seen: Seen): string | undefined {
  const existing = (tables: readonly RangeVar[], kind = 'table') => {
    const table = tables.find((t) => !isNew(t, seen));
    return table ? `${kind} ${tableName(table)}` : undefined;
  };
  const alter = node<{ relation: RangeVar; objtype: string; cmds?: PgNode[] }>(stmt, 'AlterTableStmt');
  if (alter) {
    const cmds = nodes<AlterTableCmd>(alter.cmds, 'AlterTableCmd');
    const referenced = cmds.flatMap((cmd) => referencedTables([...(cmd.def ? [cmd.def] : []), ...(node<ColumnDef>(cmd.def, 'ColumnDef')?.constraints ?? [])]));
    // ALTER TABLE, and ALTER INDEX, VIEW … (OBJECT_INDEX, OBJECT_VIEW …), which lock what they alter too.
    return existing([alter.relation], alter.objtype.replace(/^OBJECT_/, '').replace(/_/g, ' ').toLowerCase()) ?? existing(referenced);
  }
  const create = node<{ tableElts?: PgNode[] }>(stmt, 'CreateStmt');
  if (create) {
    const elements = create.tableElts ?? [];
    return existing(referencedTables([...elements, ...nodes<ColumnDef>(elements, 'ColumnDef').flatMap((c) => c.constraints ?? [])]));
  }
  const drop = node<{ removeType: string; objects?: PgNode[]; concurrent?: boolean }>(stmt, 'DropStmt');
  if (drop?.removeType === 'OBJECT_TABLE') return existing((drop.objects ?? []).map(droppedObject));
  if (drop?.removeType === 'OBJECT_INDEX' && !drop.concurrent) {
    const indexes = (drop.objects ?? []).map(droppedObject).filter((i) => !isNew(i, seen));
    return indexes.length > 0 ? `the table of index ${tableName(indexes[0])}` : undefined;
  }
  const index = node<{ relation: RangeVar; concurrent?: boolean }>(stmt, 'IndexStmt');
  if (index) return index.concurrent ? undefined : existing([index.relation]);
  const relation = node<{ relation?: RangeVar }>(stmt, 'RenameStmt')?.relation ?? node<{ relation?: RangeVar }>(stmt, 'CreateTrigStmt')?.relation;
  if (relation) return existing([relation]);
  const relations = node<{ relations?: PgNode[] }>(stmt, 'TruncateStmt')?.relations ?? node<{ relations?: PgNode[] }>(stmt, 'LockStmt')?.relations;
  if (relations) return existing(nodes<RangeVar>(relations, 'RangeVar'));
  return undefined;
}

/** `local`: SET LOCAL, which ends with its transaction. */
type LockTimeout = 'unset' | 'session' | 'local';

function lockTimeoutAfter(stmt: PgNode, before: LockTimeout): LockTimeout {
  const transaction = node<{ kind: string }>(stmt, 'TransactionStmt');
  if (transaction && before === 'local' && (transaction.kind === 'TRANS_STMT_COMMIT' || transaction.kind === 'TRANS_STMT_ROLLBACK')) return 'unset';
  const set = node<{ kind: string; name?: string; args?: PgNode[]; is_local?: boolean }>(stmt, 'VariableSetStmt');
  if (!set) return before;
  if (set.kind === 'VAR_RESET_ALL') return 'unset';
  if (set.name !== 'lock_timeout') return before;
  // RESET and SET … TO DEFAULT go back to the server's setting, 0 (no timeout) unless someone configured one.
  if (set.kind !== 'VAR_SET_VALUE' || isZero(set.args?.[0])) return 'unset';
  return set.is_local ? 'local' : 'session';
}

/** lock_timeout = 0 turns the timeout off. The parser leaves a zero integer's value out. */
function isZero(value: PgNode | undefined): boolean {
  const constant = node<{ ival?: { ival?: number }; fval?: { fval?: string }; sval?: { sval?: string } }>(value, 'A_Const');
  if (!constant) return false;
  if (constant.ival) return (constant.ival.ival ?? 0) === 0;
  if (constant.fval) return Number(constant.fval.fval) === 0;
  return parseFloat(constant.sval?.sval ?? '') === 0;
}

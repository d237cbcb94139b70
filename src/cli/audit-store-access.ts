import type { AuditStore } from '../providers/audit/audit-store';
import { gantryHome } from '../providers/state-dir';
import { invalidInput, unreachable } from './exit-codes';

/**
 * Opens the store the worker writes (GANTRY_AUDIT_DATABASE_URL, else PGlite under
 * GANTRY_HOME), runs `use` and closes it. The providers load only here: PGlite is heavy,
 * and the CLI's other commands start without it. A store that does not answer is exit 3.
 */
export async function withAuditStore<T>(use: (store: AuditStore) => Promise<T>): Promise<T> {
  const { auditStoreFor, AuditSettingError } = await import('../providers/audit/audit-store-setting');
  let store: AuditStore;
  try {
    store = auditStoreFor(gantryHome(), process.env, { idleCloseMs: 0 });
  } catch (err) {
    if (err instanceof AuditSettingError) throw invalidInput(err.message);
    throw err;
  }
  try {
    return await use(store);
  } catch (err) {
    throw unreachable(`the audit store (${store.describe}) does not answer: ${(err as Error).message}`);
  } finally {
    await store.close().catch(() => undefined);
  }
}

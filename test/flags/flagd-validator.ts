import { MemoryStorage } from '@openfeature/flagd-core';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/**
 * flagd's own verdict on a document: @openfeature/flagd-core parses it with its
 * precompiled copy of flagd's JSON schema in strict mode (the provider itself only warns),
 * then builds every flag and compiles its targeting.
 */
export function flagdAccepts(text: string): { ok: true } | { ok: false; error: string } {
  try {
    new MemoryStorage(quiet).setConfigurations(text, true);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

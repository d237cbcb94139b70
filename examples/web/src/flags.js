'use strict';

/**
 * Optional feature flags, evaluated the way a team's service does it: the stock OpenFeature
 * server SDK with the stock flagd provider, in-process resolver.
 *
 * - GANTRY_FLAGS_SYNC=host:port (or a bare port, or "on" for 127.0.0.1:8015): flags are
 *   pushed over Gantry's flagd sync stream, a change arrives in milliseconds;
 * - GANTRY_FLAGS_FILE=<path to flags.json>: file mode, the provider polls the file (about 5 s);
 * - neither, or the packages are not installed beside the service: no flags, and the
 *   service behaves exactly as it does without this file.
 *
 * GANTRY_FLAGS_KEYS (default new-checkout) lists the boolean flags evaluated for each
 * request on /; the answer carries each flag's variant, so metrics and logs can be split
 * by variant.
 */

const DEFAULT_SYNC = '127.0.0.1:8015';

function flagSource(env) {
  const sync = (env.GANTRY_FLAGS_SYNC || '').trim();
  if (sync && sync !== 'off') {
    const address = sync === 'on' ? DEFAULT_SYNC : /^\d+$/.test(sync) ? `127.0.0.1:${sync}` : sync;
    const colon = address.lastIndexOf(':');
    return { resolverType: 'in-process', host: address.slice(0, colon), port: Number(address.slice(colon + 1)), streamDeadlineMs: 0 };
  }
  const file = (env.GANTRY_FLAGS_FILE || '').trim();
  if (file) return { resolverType: 'in-process', offlineFlagSourcePath: file };
  return undefined;
}

/**
 * Connects when flags are configured; resolves to an evaluator, or undefined (no flags).
 * `write` reports what happened on the service's output.
 */
async function startFlags(env, write) {
  const options = flagSource(env);
  if (!options) return undefined;
  let OpenFeature;
  let FlagdProvider;
  try {
    ({ OpenFeature } = require('@openfeature/server-sdk'));
    ({ FlagdProvider } = require('@openfeature/flagd-provider'));
  } catch {
    write('flags: @openfeature/server-sdk and @openfeature/flagd-provider are not installed; serving without flags\n');
    return undefined;
  }
  const keys = (env.GANTRY_FLAGS_KEYS || 'new-checkout').split(',').map((key) => key.trim()).filter(Boolean);
  // Not awaited to the end: the service answers at once, with the code defaults until the
  // provider is ready (the SDK's own behaviour).
  OpenFeature.setProviderAndWait(new FlagdProvider(options)).then(
    () => write(`flags: ${options.host ? `sync ${options.host}:${options.port}` : `file ${options.offlineFlagSourcePath}`} ready\n`),
    (err) => write(`flags: provider not ready yet (${err.message}); it keeps trying\n`),
  );
  const client = OpenFeature.getClient();
  return {
    /** { '<flag>': '<variant>' } for one request's user. */
    async evaluate(user) {
      const context = { targetingKey: user.id, ...(user.email ? { email: user.email } : {}) };
      const variants = {};
      for (const key of keys) {
        const details = await client.getBooleanDetails(key, false, context);
        variants[key] = details.variant || (details.value ? 'on' : 'off');
      }
      return variants;
    },
    close: () => OpenFeature.close(),
  };
}

/** The user a request is for: x-user (or the client's address) and x-user-email. */
function requestUser(headers, remoteAddress) {
  return { id: String(headers['x-user'] || remoteAddress || 'anonymous'), email: headers['x-user-email'] ? String(headers['x-user-email']) : undefined };
}

module.exports = { flagSource, startFlags, requestUser };

/**
 * What a service's own commands (build, tests, lint, smoke) may see of the worker's
 * environment. They run code from the commit, so they get a minimal environment: a
 * build script that could read the worker's `TEMPORAL_API_KEY` could approve its own
 * release. Only the variables below pass, plus those the service names (`passEnv` in the
 * catalogue), plus what Gantry sets for the command itself (GANTRY_VERSION, BASE_URL…).
 *
 * Worked example: worker env { PATH, HOME, TEMPORAL_API_KEY, DATABASE_URL, NPM_TOKEN },
 * passEnv [NPM_TOKEN], command env { GANTRY_VERSION: 1.4.2 }
 *   → { PATH, HOME, NPM_TOKEN, GANTRY_VERSION }.
 */

/** Always passed when the worker has them: what a shell, a compiler and a package manager need to run at all. */
export const COMMAND_ENV_ALLOW_LIST = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM', 'CI'] as const;
/** Locale categories (LC_ALL, LC_CTYPE…) pass too. */
const LOCALE = /^LC_[A-Z]+$/;
/** Never passed, even when named: the worker's own connection to Temporal. */
export const NEVER_PASSED = /^TEMPORAL_/;

export function commandEnvironment(workerEnv: Readonly<Record<string, string | undefined>>, passEnv: readonly string[], commandEnv: Readonly<Record<string, string>> = {}): Record<string, string> {
  const allowed = new Set<string>([...COMMAND_ENV_ALLOW_LIST, ...passEnv.filter((name) => !NEVER_PASSED.test(name))]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workerEnv)) {
    if (value !== undefined && (allowed.has(name) || LOCALE.test(name))) env[name] = value;
  }
  return { ...env, ...commandEnv };
}

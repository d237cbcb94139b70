/**
 * What the router reads from a request and writes on its answer. Every router (the
 * embedded one, HAProxy's configuration) and every client that steers or observes
 * routing (load generators, probes, tests) uses these names.
 */

/** Header that sends a request to the canary (preview) whatever the weights: `x-gantry-canary: always`. */
export const PREVIEW_HEADER = 'x-gantry-canary';
/** Header carrying the user key used for sticky assignment and the allow-list. */
export const USER_HEADER = 'x-gantry-user';
/** Cookie carrying the user key, when the header is absent. */
export const USER_COOKIE = 'gantry_user';
/** Response header naming the version that answered a proxied request. */
export const VERSION_HEADER = 'x-gantry-version';

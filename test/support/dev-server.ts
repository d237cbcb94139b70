/**
 * What jest's globalSetup (./global-setup.ts) shares with every test file: the address of
 * the one Temporal dev server of this run and the resolved Temporal binaries.
 */

export const ENV = {
  /** gRPC address of the shared dev server (or of TEMPORAL_ADDRESS when that was set). */
  address: 'GANTRY_TEST_TEMPORAL_ADDRESS',
  /** Web UI of the shared dev server; unset when an existing cluster is used. */
  ui: 'GANTRY_TEST_TEMPORAL_UI',
  /** The `temporal` CLI binary. */
  cli: 'GANTRY_TEMPORAL_CLI',
  /** The time-skipping test server binary. */
  testServer: 'GANTRY_TEMPORAL_TEST_SERVER',
} as const;

/** Key on globalThis under which globalSetup leaves the server for globalTeardown. */
export const DEV_SERVER_HANDLE = '__gantryDevServer';

function required(name: string, what: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set, so ${what} is unknown. It is set by test/support/global-setup.ts: ` +
        'run the tests through jest with the project config (`npm test` or `npx jest`), not with a config that drops globalSetup.',
    );
  }
  return value;
}

/** `host:port` of the dev server shared by this jest run. */
export function testServerAddress(): string {
  return required(ENV.address, 'the address of the shared Temporal dev server');
}

/** URL of the shared dev server's web UI. */
export function testServerUiUrl(): string {
  return required(ENV.ui, 'the web UI of the shared Temporal dev server (none when TEMPORAL_ADDRESS points at an existing cluster)');
}

/** Path of the `temporal` CLI to run in tests. */
export function temporalCliPath(): string {
  return required(ENV.cli, 'the path of the Temporal CLI');
}

/** Path of the time-skipping test server binary. */
export function timeSkippingServerPath(): string {
  return required(ENV.testServer, 'the path of the time-skipping test server');
}

